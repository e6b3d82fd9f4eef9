import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { describe, it } from "node:test";
import { confirm } from "./confirm.ts";

function ask(answer: string | null): Promise<{ yes: boolean; asked: string }> {
  const input = new PassThrough();
  const output = new PassThrough();
  let asked = "";
  output.on("data", (d: Buffer) => (asked += d.toString()));
  const result = confirm("Stop production?", { input, output });
  if (answer === null) input.end();
  else input.write(`${answer}\n`);
  return result.then((yes) => ({ yes, asked }));
}

describe("confirm", () => {
  it("asks with a [y/N] default of no and accepts only y or yes", async () => {
    assert.deepEqual(await ask("y"), { yes: true, asked: "Stop production? [y/N] " });
    assert.equal((await ask("YES")).yes, true);
    for (const no of ["", "n", "no", "yep", "sure"]) assert.equal((await ask(no)).yes, false, JSON.stringify(no));
  });

  it("takes the end of input (Ctrl-D) as no", async () => {
    assert.equal((await ask(null)).yes, false);
  });
});
