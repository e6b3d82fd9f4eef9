import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { readCredentials } from "../daemon/credentials.ts";
import { waitForRelease } from "../releases/release-wait.ts";
import { waitFor } from "../shared/wait.ts";
import { killPlatform, runCli, startRampartUp, type RampartUp } from "../testing/rampart-process.ts";
import { createTestProject, type TestProject } from "../testing/test-project.ts";

interface PageBody {
  user: string;
  text: string;
  alert: { fingerprint: string; name: string };
}

describe("on-call through a real `rampart up`: a critical alert pages whoever is on call, the signed link acknowledges it", () => {
  const pages: PageBody[] = [];
  const receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      pages.push(JSON.parse(body) as PageBody);
      res.writeHead(200).end();
    });
  });
  let project: TestProject;
  let up: RampartUp;

  before(async () => {
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/page`;
    // A rule that holds as soon as the app runs, so the test waits on paging, not on a fault.
    project = await createTestProject({
      instances: 1,
      appYaml: [
        "    alerts:",
        '      - { name: always_on_fire, expr: "instances > 0", severity: critical }',
        "oncall:",
        `  people: { alice: { webhook: "${hook}" }, bob: { webhook: "${hook}" } }`,
        "  schedules:",
        '    primary: { time_zone: Europe/Berlin, rotation: { every: day, handoff: "09:00", people: [alice, bob] } }',
        '  escalation: { default: [ { notify: "schedule:primary", wait: 5m } ] }',
      ].join("\n"),
    });
    up = await startRampartUp({
      ...project,
      addEnv: { RAMPART_ALERTS_INTERVAL: "1s" },
    });
    await waitForRelease(up.client, await up.client.deploy("staging", "web"), 60_000);
  });
  after(async () => {
    await killPlatform(project.dataDir, up);
    receiver.close();
  });

  it("pages the person `oncall who` names, with a link that acts once, for a logged-in caller only", async () => {
    const page = await waitFor(() => pages.find((p) => p.alert.name === "always_on_fire"), { timeoutMs: 60_000, intervalMs: 200 });
    const who = runCli(["oncall", "who", "--data", project.dataDir, "--json"]);
    assert.equal(who.code, 0, who.stderr);
    assert.equal(page.user, (JSON.parse(who.stdout) as { schedules: { user: string }[] }).schedules[0]?.user);
    const link = /https?:\/\/\S+\/api\/v1\/actions\/[A-Za-z0-9_.-]+/.exec(page.text)?.[0];
    assert.ok(link, page.text);
    assert.doesNotMatch(link, /:0\//, "the link names the port the API listens on");

    assert.equal((await fetch(link)).status, 200, "the confirmation page");
    assert.equal((await fetch(link, { method: "POST" })).status, 401, "the link alone grants nothing");
    const token = readCredentials(project.dataDir)?.token ?? "";
    const auth = { authorization: `Bearer ${token}` };
    const acted = await fetch(link, { method: "POST", headers: auth });
    assert.equal(acted.status, 200, await acted.clone().text());
    assert.equal((await fetch(link, { method: "POST", headers: auth })).status, 409, "a link acts once");

    const list = runCli(["oncall", "escalations", "--all", "--data", project.dataDir, "--json"]);
    const escalations = (JSON.parse(list.stdout) as { escalations: { fingerprint: string; status: string; endedBy: string }[] })
      .escalations;
    assert.deepEqual(
      escalations.filter((e) => e.fingerprint === page.alert.fingerprint).map((e) => `${e.status} by ${e.endedBy}`),
      ["acknowledged by local"],
    );
    const events = await up.client.events({ type: "oncall.", limit: 100 });
    assert.deepEqual(
      events.map((e) => e.type),
      ["oncall.paged", "oncall.link_used"],
    );
    assert.equal((await up.client.events({ type: "alert.acknowledged", limit: 10 })).length, 1);
  });
});
