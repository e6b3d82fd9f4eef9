import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { clientFor } from "./cli-context.ts";
import { type CliContext, contextsPath, readContexts, removeContext, saveContext, useContext } from "./contexts.store.ts";
import { RampartError } from "../shared/errors.ts";

const context = (name: string, api: string): CliContext => ({
  name,
  api,
  token: `tok-${name}-${"x".repeat(40)}`,
  user: "alice",
  via: "session",
});

describe("CLI contexts", () => {
  let home: string;
  let saved: NodeJS.ProcessEnv;
  beforeEach(() => {
    saved = { ...process.env };
    home = mkdtempSync(join(tmpdir(), "rampart-contexts-"));
    process.env.XDG_CONFIG_HOME = join(home, "config");
    for (const name of ["RAMPART_API", "RAMPART_TOKEN", "RAMPART_DATA", "RAMPART_CA_FILE"]) delete process.env[name];
  });
  afterEach(() => {
    process.env = saved;
  });

  it("lives in $XDG_CONFIG_HOME/rampart (else ~/.config/rampart), 0600 in 0700", () => {
    assert.equal(contextsPath({ XDG_CONFIG_HOME: "/x" }), "/x/rampart/contexts.json");
    assert.equal(contextsPath({ HOME: "/home/a" }), "/home/a/.config/rampart/contexts.json");
    saveContext(context("prod", "https://p:7700"));
    assert.equal(statSync(contextsPath()).mode & 0o777, 0o600);
    assert.equal(statSync(join(home, "config", "rampart")).mode & 0o777, 0o700);
  });

  it("saves (replacing one of the same name), switches and removes; the last saved is current", () => {
    saveContext(context("prod", "https://p:7700"));
    saveContext(context("staging", "https://s:7700"));
    saveContext({ ...context("prod", "https://p2:7700") });
    const file = readContexts();
    assert.equal(file.current, "prod");
    assert.deepEqual(
      file.contexts.map((c) => [c.name, c.api]),
      [
        ["staging", "https://s:7700"],
        ["prod", "https://p2:7700"],
      ],
    );
    useContext("staging");
    assert.equal(readContexts().current, "staging");
    removeContext("staging");
    assert.equal(readContexts().current, null);
    assert.throws(
      () => useContext("nope"),
      (e: unknown) => e instanceof RampartError && e.code === "unknown_context",
    );
  });

  it("refuses a damaged file with the command that gets past it", () => {
    mkdirSync(join(home, "config", "rampart"), { recursive: true });
    writeFileSync(contextsPath(), "{ not json");
    assert.throws(readContexts, (e: unknown) => e instanceof RampartError && /mv .*contexts\.json .*rampart login URL/.test(e.hint));
  });

  it("resolves the API: RAMPART_API + RAMPART_TOKEN, then a running project's credentials, then the current context", () => {
    const cwd = process.cwd();
    const project = mkdtempSync(join(tmpdir(), "rampart-project-"));
    const dataDir = join(project, ".rampart");
    mkdirSync(dataDir);
    const writeCredentials = (pid: number) =>
      writeFileSync(join(dataDir, "credentials.json"), JSON.stringify({ api: "http://127.0.0.1:7711", token: "l".repeat(43), pid }));
    try {
      saveContext(context("prod", "https://prod.example.com:7700"));
      process.chdir(project);
      writeCredentials(process.pid);
      assert.equal(clientFor({}).baseUrl, "http://127.0.0.1:7711", "inside a project whose up runs");
      writeCredentials(2 ** 22 + 12345);
      assert.equal(clientFor({}).baseUrl, "https://prod.example.com:7700", "its up is not running: the context");
      process.chdir(tmpdir());
      assert.equal(clientFor({}).baseUrl, "https://prod.example.com:7700", "from any directory");
      process.env.RAMPART_API = "https://ci.example.com:7700";
      process.env.RAMPART_TOKEN = "t".repeat(43);
      assert.equal(clientFor({}).baseUrl, "https://ci.example.com:7700");
      delete process.env.RAMPART_API;
      delete process.env.RAMPART_TOKEN;
      removeContext("prod");
      assert.throws(
        () => clientFor({}),
        (e: unknown) => e instanceof RampartError && e.code === "no_credentials" && /rampart login/.test(e.hint),
      );
    } finally {
      process.chdir(cwd);
    }
    assert.ok(!readFileSync(contextsPath(), "utf8").includes("tok-prod"), "removed for good");
  });
});
