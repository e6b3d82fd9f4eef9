import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { describeOutput, firstErrorLine } from "./crash-output.ts";
import type { LogLine } from "./log-line.ts";

const dir = mkdtempSync(join(tmpdir(), "rampart-crash-"));

/** What a real interpreter prints when the program crashes on start, as the runner would log it. */
function crashOutput(command: string, args: string[]): string[] {
  const result = spawnSync(command, args, { cwd: dir, encoding: "utf8" });
  assert.notEqual(result.status, 0, `${command} was expected to fail`);
  return `${result.stdout}${result.stderr}`.split("\n");
}

function logLines(texts: string[]): LogLine[] {
  return texts.map((text, i) => ({ time: i, stream: "err", text, labels: {} }));
}

describe("the first error line of a crash on start", () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("Node: the Error line above the stack, not the stack's last lines", () => {
    const lines = crashOutput(process.execPath, ["-e", "console.log('starting'); require('./config.json')"]);
    assert.equal(firstErrorLine(lines), "Error: Cannot find module './config.json'");
    const message = describeOutput(logLines(lines));
    assert.match(message, /^; first error: Error: Cannot find module '\.\/config\.json'; its last output:\n/);
    assert.doesNotMatch(message.split("its last output:")[1] ?? "", /Cannot find module/, "the last lines alone would not show it");
  });

  it("Node ESM: `Error [ERR_MODULE_NOT_FOUND]: …`", () => {
    writeFileSync(join(dir, "server.mjs"), "import config from './config.json' with { type: 'json' };\nconsole.log(config);\n");
    const line = firstErrorLine(crashOutput(process.execPath, ["server.mjs"]));
    assert.match(line ?? "", /^Error \[ERR_MODULE_NOT_FOUND\]: Cannot find module '.*config\.json' imported from /);
  });

  it("Python: the exception line that ends the traceback", (t) => {
    if (spawnSync("python3", ["--version"]).status !== 0) return t.skip("python3 is not installed");
    writeFileSync(join(dir, "app.py"), "print('starting')\nimport json\njson.load(open('config.json'))\n");
    assert.equal(
      firstErrorLine(crashOutput("python3", ["app.py"])),
      "FileNotFoundError: [Errno 2] No such file or directory: 'config.json'",
    );
    writeFileSync(
      join(dir, "chained.py"),
      "try:\n    open('config.json')\nexcept OSError as e:\n    raise RuntimeError('no config') from e\n",
    );
    assert.equal(firstErrorLine(crashOutput("python3", ["chained.py"])), "RuntimeError: no config", "the exception that ended the program");
  });

  it("Go, Rust, Java, Ruby and the shell, from their usual crash output", () => {
    const cases: [string[], string][] = [
      [
        ["2026/12/05 12:00:00 starting", "panic: open config.json: no such file or directory", "", "goroutine 1 [running]:"],
        "panic: open config.json: no such file or directory",
      ],
      [
        ["thread 'main' panicked at src/main.rs:4:10:", "called `Result::unwrap()` on an `Err` value"],
        "thread 'main' panicked at src/main.rs:4:10:",
      ],
      [
        ['Exception in thread "main" java.io.FileNotFoundException: config.json', "\tat Main.main(Main.java:3)"],
        'Exception in thread "main" java.io.FileNotFoundException: config.json',
      ],
      [
        ["app.rb:1:in 'require': cannot load such file -- sinatra (LoadError)", "\tfrom app.rb:1:in '<main>'"],
        "app.rb:1:in 'require': cannot load such file -- sinatra (LoadError)",
      ],
      [["sh: 1: exec: gunicorn: not found"], "sh: 1: exec: gunicorn: not found"],
    ];
    for (const [lines, expected] of cases) assert.equal(firstErrorLine(lines), expected);
    assert.equal(firstErrorLine(["listening on 3000", "GET / 200", "shutting down"]), undefined);
  });

  it("without an error line, only the last lines are quoted", () => {
    assert.equal(describeOutput(logLines(["boom: crashing on start"])), "; its last output:\n  ! boom: crashing on start");
    assert.equal(describeOutput([]), "");
  });
});
