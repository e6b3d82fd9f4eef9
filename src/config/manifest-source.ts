import { RampartError } from "../shared/errors.ts";
import { ManifestError } from "./manifest-error.ts";
import { loadManifest } from "./manifest.loader.ts";
import { resolveApp } from "./manifest.resolve.ts";
import type { Manifest, ResolvedApp } from "./resolved-manifest.schema.ts";

/**
 * The project's rampart.yaml as the running platform sees it. It is read again at every deploy, so editing
 * the file and deploying is enough; a file that does not validate is refused and the last good one stays.
 * Source directories are not required to exist here (a fresh `rampart init` project can start up); the
 * snapshot of the app being deployed names its missing source instead.
 */
export class ManifestSource {
  readonly path: string;
  #current: Manifest;

  constructor(path: string) {
    this.path = path;
    this.#current = loadManifest(path, { checkSources: false });
  }

  get current(): Manifest {
    return this.#current;
  }

  reload(): Manifest {
    try {
      this.#current = loadManifest(this.path, { checkSources: false });
    } catch (error) {
      if (error instanceof ManifestError) {
        throw new RampartError("invalid_manifest", error.message, {
          details: error.issues,
          hint: "fix rampart.yaml and try again; nothing was changed",
        });
      }
      throw error;
    }
    return this.#current;
  }

  /** Throws a 404 naming what exists unless the manifest has this environment and app. */
  assertApp(env: string, app: string): void {
    this.resolve(this.#current, app, env);
  }

  /** The effective config of one app in one environment, or a 404 naming what exists. */
  resolve(manifest: Manifest, app: string, env: string): ResolvedApp {
    // Own keys only: an app or environment named "toString" must not find Object.prototype.
    if (!Object.hasOwn(manifest.environments, env)) {
      throw new RampartError("unknown_environment", `environment "${env}" is not in ${manifest.path}`, {
        hint: `environments: ${Object.keys(manifest.environments).join(", ")}`,
      });
    }
    if (!Object.hasOwn(manifest.apps, app)) {
      throw new RampartError("unknown_app", `app "${app}" is not in ${manifest.path}`, {
        hint: `apps: ${Object.keys(manifest.apps).join(", ")}`,
      });
    }
    return resolveApp(manifest, app, env);
  }
}
