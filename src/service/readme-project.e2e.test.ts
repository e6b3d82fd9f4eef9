import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, describe, it } from "node:test";
import { waitFor } from "../shared/wait.ts";
import { freePort } from "../testing/free-port.ts";
import { killPlatform } from "../testing/rampart-process.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** The README's "Your own project" commands, exactly as printed (comments after `#` dropped, as a shell does). */
function readmeCommands(): string[] {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Your own project"));
  const block = section.slice(section.indexOf("```sh") + 5, section.indexOf("```", section.indexOf("```sh") + 5));
  return block
    .split("\n")
    .map((line) => line.replace(/\s+#.*$/, "").trim())
    .filter((line) => line !== "");
}

describe("the README's own-project section, run as printed with the CLI installed as documented", () => {
  const prefix = mkdtempSync(join(tmpdir(), "rampart-cli-"));
  const home = mkdtempSync(join(tmpdir(), "rampart-home-"));
  const project = join(home, "my-project");
  let upGroup: number | undefined;
  after(async () => {
    // The control plane first (it would start a new edge), then everything it started.
    if (upGroup) process.kill(-upGroup, "SIGKILL");
    await killPlatform(join(project, ".rampart"));
  });

  it("installs, inits, runs, deploys twice, rolls back and reads status, logs, metrics and events", async () => {
    const commands = readmeCommands();
    assert.equal(commands[0], "npm run install-cli");
    // The user's own shell: no platform address or token set, the installed CLI first on the PATH.
    const { RAMPART_API: _api, RAMPART_TOKEN: _token, RAMPART_DATA: _data, ...inherited } = process.env;
    const env = { ...inherited, HOME: home, PATH: `${join(prefix, "bin")}:${process.env.PATH ?? ""}` };
    const sh = (command: string, timeout = 240_000) =>
      spawnSync("sh", ["-c", command], { cwd: existsSync(project) ? project : ROOT, env, encoding: "utf8", timeout });
    const installed = spawnSync("sh", ["-c", `${commands[0]} -- --prefix ${prefix}`], {
      cwd: ROOT,
      env,
      encoding: "utf8",
      timeout: 300_000,
    });
    assert.equal(installed.status, 0, installed.stderr);
    assert.doesNotMatch(installed.stderr, /EBADENGINE/);
    for (const command of commands.slice(1)) {
      if (command.startsWith("mkdir") || command.startsWith("cd ")) {
        mkdirSync(project, { recursive: true });
        continue;
      }
      if (command === "rampart init") {
        const init = sh(command);
        assert.equal(init.status, 0, init.stderr);
        // What the starter asks the user to do: point it at their app (and, here, at free ports).
        const [staging, production] = [await freePort(), await freePort()];
        const yaml = readFileSync(join(project, "rampart.yaml"), "utf8")
          .replace(/port: 8081/, `port: ${staging}`)
          .replace(/port: 8080/, `port: ${production}`);
        writeFileSync(join(project, "rampart.yaml"), yaml);
        mkdirSync(join(project, "web"), { recursive: true });
        writeFileSync(
          join(project, "web", "server.js"),
          'require("node:http").createServer((q, s) => s.end("ok")).listen(process.env.PORT, () => console.log("listening"));\n',
        );
        continue;
      }
      if (command === "rampart up") {
        const up = spawn("sh", ["-c", `${command} --api 127.0.0.1:0`], { cwd: project, env, stdio: "ignore", detached: true });
        up.unref();
        upGroup = up.pid;
        await waitFor(
          () =>
            existsSync(join(project, ".rampart", "credentials.json")) &&
            !readFileSync(join(project, ".rampart", "credentials.json"), "utf8").includes("starting")
              ? true
              : undefined,
          { timeoutMs: 60_000 },
        );
        continue;
      }
      const follows = command.includes("--follow");
      const result = sh(command, follows ? 5_000 : 240_000);
      // A follow runs until stopped: it must still be following (not have exited with an error) when the time is up.
      if (follows) assert.equal(result.status, null, `${command} exited early: ${result.stderr}`);
      else assert.equal(result.status, 0, `${command}\n${result.stderr}${result.stdout}`);
    }
  });
});
