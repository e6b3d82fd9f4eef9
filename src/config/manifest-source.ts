import { RampartError } from "../shared/errors.ts";
import { ManifestError } from "./manifest-error.ts";
import { loadManifestText } from "./manifest.loader.ts";
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
  #text: string;

  constructor(path: string) {
    this.path = path;
    const loaded = loadManifestText(path, { checkSources: false });
    this.#current = loaded.manifest;
    this.#text = loaded.text;
  }

  get current(): Manifest {
    return this.#current;
  }

  /** The text of the file `current` was read from (the manifest last applied, for `rampart export`). */
  get text(): string {
    return this.#text;
  }

  reload(): Manifest {
    const loaded = this.peek();
    this.adopt(loaded.manifest, loaded.text);
    return this.#current;
  }

  /** Reads rampart.yaml as it is on disk now without making it current (`rampart plan`); invalid_manifest when broken. */
  peek(): { manifest: Manifest; text: string } {
    try {
      return loadManifestText(this.path, { checkSources: false });
    } catch (error) {
      if (error instanceof ManifestError) {
        throw new RampartError("invalid_manifest", error.message, {
          details: error.issues,
          hint: "fix rampart.yaml and try again; nothing was changed",
        });
      }
      throw error;
    }
  }

  /** Makes a manifest read by `peek` the current one (`rampart apply`, or a deploy's reload). */
  adopt(manifest: Manifest, text: string): void {
    this.#current = manifest;
    this.#text = text;
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
