import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./free-port.ts";
import { TEST_APP_SERVER } from "./test-app.ts";

export interface TestProject {
  dir: string;
  manifestPath: string;
  dataDir: string;
  ports: Record<string, number>;
  /** Writes the manifest again (e.g. with another app setting). */
  writeManifest(appYaml?: string): void;
  /** Changes the app's source so the next deploy is a new artifact. */
  touchSource(version: string): void;
}

export interface TestProjectOptions {
  instances?: number;
  appYaml?: string;
  /**
   * Another app instead of the test app (the drills run against any app): its directory, copied into the project
   * (without node_modules and .git, which artifacts leave out anyway) so `touchSource` can change it; its run
   * command and health path.
   */
  source?: string;
  run?: string;
  healthPath?: string;
  /** More keys of the production environment's mapping, e.g. `http2: { cleartext: true }`. */
  productionYaml?: string;
}

/** A temp project with environments `staging` and `production` and one app `web` running the test app. */
export async function createTestProject(options: TestProjectOptions = {}): Promise<TestProject> {
  const dir = mkdtempSync(join(tmpdir(), "rampart-e2e-"));
  if (options.source)
    cpSync(options.source, join(dir, "web"), { recursive: true, filter: (path) => !/\/(node_modules|\.git)(\/|$)/.test(path) });
  else {
    mkdirSync(join(dir, "web"));
    writeFileSync(join(dir, "web", "server.mjs"), TEST_APP_SERVER);
  }
  const ports = { staging: await freePort(), production: await freePort() };
  const manifestPath = join(dir, "rampart.yaml");
  const writeManifest = (appYaml = options.appYaml ?? "") =>
    writeFileSync(
      manifestPath,
      [
        "name: e2e",
        "environments:",
        `  staging: { port: ${ports.staging}, bind: 127.0.0.1 }`,
        `  production: { port: ${ports.production}, bind: 127.0.0.1, protected: true${options.productionYaml ? `, ${options.productionYaml}` : ""} }`,
        "apps:",
        "  web:",
        "    source: ./web",
        `    run: ${JSON.stringify(options.run ?? "node server.mjs")}`,
        `    instances: ${options.instances ?? 2}`,
        `    health: { path: ${JSON.stringify(options.healthPath ?? "/healthz")}, interval: 500ms, timeout: 1s, start_timeout: 15s }`,
        "    drain: 3s",
        appYaml,
      ].join("\n"),
    );
  writeManifest();
  return {
    dir,
    manifestPath,
    dataDir: join(dir, ".rampart"),
    ports,
    writeManifest,
    touchSource: (version) => writeFileSync(join(dir, "web", "VERSION"), version),
  };
}
