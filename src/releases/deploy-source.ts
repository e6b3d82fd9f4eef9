import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { dataDirOf, type GlobalOptions, progress } from "../cli/cli-context.ts";
import type { ApiClient } from "../client/api-client.ts";
import { ManifestSource } from "../config/manifest-source.ts";
import { readCredentials } from "../daemon/credentials.ts";
import { gitInfo } from "./artifact-git.ts";
import type { DeployBody } from "./release.types.ts";
import { packSource } from "./source-bundle.ts";

/**
 * Where `rampart deploy` takes the source from. `--source DIR` is packed here and sent; with no `--source`, a
 * platform on this machine (its credentials file in the data dir, no RAMPART_API/--api) snapshots the manifest's
 * own `source`, and a platform elsewhere (a laptop or CI deploying to a server) gets the source this folder's
 * rampart.yaml names for the app, packed here. Packing honours .gitignore, .rampartignore and `exclude:`, as the
 * server's own snapshot does, so both make the same artifact.
 */
export async function deploySource(
  client: ApiClient,
  app: string,
  env: string,
  options: GlobalOptions & { source?: string },
): Promise<Pick<DeployBody, "upload" | "git">> {
  const local = !options.api && !process.env.RAMPART_API && readCredentials(dataDirOf(options)) !== null;
  // Read only when something is packed here: a local deploy without --source leaves the manifest to the server.
  const here = options.source || !local ? localAppConfig(app, env) : null;
  // The app's own exclusions apply to whatever directory is deployed for it.
  const exclude = here?.exclude ?? [];
  const dir = options.source ? resolve(options.source) : local ? null : (here?.source ?? null);
  if (!dir) return {};
  const started = Date.now();
  const bundle = await packSource(dir, { exclude });
  const mib = (n: number) => `${(n / 1048576).toFixed(n < 1048576 ? 2 : 1)} MiB`;
  progress(`packed ${bundle.files} files from ${dir} (${mib(bundle.bytes)}, ${mib(bundle.gzip.length)} compressed); sending…`);
  const [sent, git] = await Promise.all([client.uploadSource(bundle.gzip, bundle.digest), gitInfo(dir)]);
  progress(`sent ${mib(bundle.gzip.length)} in ${((Date.now() - started) / 1000).toFixed(1)} s: artifact ${sent.digest.slice(0, 19)}`);
  return {
    upload: sent.upload,
    ...(git ? { git: { commit: git.commit, commitTime: git.commitTime, branch: git.branch, dirty: git.dirty } } : {}),
  };
}

/** The app's settings in this folder's rampart.yaml, when there is one that declares the app. */
function localAppConfig(app: string, env: string): { source: string; exclude: readonly string[] } | null {
  const path = resolve("rampart.yaml");
  if (!existsSync(path)) return null;
  const manifests = new ManifestSource(path);
  return manifests.current.apps[app] ? manifests.resolve(manifests.current, app, env) : null;
}
