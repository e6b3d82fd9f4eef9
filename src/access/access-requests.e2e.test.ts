import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { readCredentials } from "../daemon/credentials.ts";
import type { RampartEvent } from "../events/event.types.ts";
import { waitFor } from "../shared/wait.ts";
import { killPlatform, runCli, startRampartUp, type RampartUp } from "../testing/rampart-process.ts";
import { createTestProject, type TestProject } from "../testing/test-project.ts";
import type { AccessRequestView } from "./access-request.types.ts";

// The CLI must find the platform through --data alone, whatever the shell running the tests exports.
delete process.env.RAMPART_API;
delete process.env.RAMPART_TOKEN;
delete process.env.RAMPART_DATA;

const ACCESS_YAML = `access:
  requests:
    production: { roles: [operator], approvers: { roles: [operator, admin] }, approvals: 1, max_duration: 1h }
  break_glass: { role: operator, max_duration: 2s }
`;

describe("just-in-time access through a real rampart up", () => {
  let project: TestProject;
  let up: RampartUp;
  const cli = (...args: string[]) => runCli([...args, "--data", project.dataDir], { cwd: project.dir });
  const root = () => readCredentials(project.dataDir)?.token ?? assert.fail("credentials.json");
  const events = async (type: string): Promise<RampartEvent[]> => up.client.events({ type, limit: 1000 });

  before(async () => {
    project = await createTestProject({ instances: 1, appYaml: ACCESS_YAML });
    up = await startRampartUp({ manifestPath: project.manifestPath, dataDir: project.dataDir });
  });
  after(async () => {
    await killPlatform(project.dataDir, up);
    rmSync(project.dir, { recursive: true, force: true });
  });

  it("request prints the approver's command; the requester cannot approve it; revoke withdraws it", () => {
    const asked = cli("access", "request", "--role", "operator", "--env", "production", "--for", "1h", "--reason", "INC-1 checkout errors");
    assert.equal(asked.code, 0, asked.stderr);
    const id = /access request (\d+)/.exec(asked.stdout)?.[1] ?? assert.fail(asked.stdout);
    assert.match(asked.stdout, new RegExp(`an approver runs: rampart access approve ${id}`));

    const self = cli("access", "approve", id);
    assert.notEqual(self.code, 0, "self-approval refused");
    assert.match(self.stderr, new RegExp(`cannot approve your own access request ${id}`));

    const listed = cli("access", "list", "--json");
    assert.equal(listed.code, 0, listed.stderr);
    const { requests } = JSON.parse(listed.stdout) as { requests: AccessRequestView[] };
    assert.equal(requests.find((r) => String(r.id) === id)?.state, "pending");

    const revoked = cli("access", "revoke", id);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.match(revoked.stdout, /revoked/);
  });

  it("refuses bad input with a 4xx naming the field, never a 5xx", async () => {
    const bad = cli("access", "request", "--role", "operator", "--env", "production", "--for", "5h", "--reason", "x");
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /at most 1h in production/);
    const unknownEnv = cli("access", "request", "--role", "operator", "--env", "qa", "--for", "1h", "--reason", "x");
    assert.match(unknownEnv.stderr, /environment "qa" is not in/);
    const missing = cli("access", "approve", "999");
    assert.match(missing.stderr, /access request 999 not found/);
    await assert.rejects(up.client.requestAccess({ role: "operator", env: "production", durationMs: -1, reason: "" }), (e: unknown) => {
      assert.ok(e instanceof Error && "status" in e && e.status === 400, String(e));
      return true;
    });
  });

  it("break-glass: granted at once with a loud warning, critical, ended within 1 s of its time, listed for review", async () => {
    const run = cli("access", "break-glass", "--env", "production", "--reason", "site down", "--for", "10m");
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /BREAK-GLASS/);
    assert.match(run.stderr, /recorded at critical level/);
    const id = Number(/access request (\d+)/.exec(run.stdout)?.[1] ?? assert.fail(run.stdout));
    const [critical] = (await events("access.break_glass")).filter((e) => e.data.id === id);
    assert.equal(critical?.data.level, "critical");
    const until = Number(critical?.data.until);
    assert.ok(until - (critical?.at ?? 0) <= 2000, "capped by break_glass.max_duration (2s)");
    const expired = await waitFor(async () => (await events("access.expired")).find((e) => e.data.id === id), { timeoutMs: 15_000 });
    const late = expired.at - until;
    process.stdout.write(`# break-glass grant ended ${late} ms after its time\n`);
    assert.ok(late >= 0 && late < 1000, `ended ${late} ms after its time`);
    const review = cli("access", "review", "--json");
    const { requests } = JSON.parse(review.stdout) as { requests: AccessRequestView[] };
    assert.equal(requests.find((r) => r.id === id)?.state, "expired");
  });

  it("another user approves; the grant shows in whoami; it is refused again after expiry", async (t) => {
    // Needs identity's users, roles and tokens (shapes as on the identity branch: POST /api/v1/users {name, email},
    // /api/v1/roles {user, role, env}, /api/v1/tokens {name, user} → {token}) and the permission check: skipped until
    // both are merged, and the access-request module is given identity's standing roles (access-requests.module.ts).
    const probe = await fetch(`${up.client.baseUrl}/api/v1/users`, { headers: { authorization: `Bearer ${root()}` } });
    if (probe.status === 404) return t.skip("needs identity");
    const token = async (user: string, role: string, env: string) => {
      await api("POST", "/api/v1/users", { name: user, email: `${user}@example.com` });
      await api("POST", "/api/v1/roles", { user, role, env });
      return String((await api("POST", "/api/v1/tokens", { name: `${user}-cli`, user })).token);
    };
    const api = async (method: string, path: string, body?: unknown, bearer = root()) => {
      const response = await fetch(`${up.client.baseUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${bearer}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.status, ...((await response.json()) as object) } as Record<string, unknown> & { status: number };
    };
    const dana = await token("dana", "developer", "production");
    const erin = await token("erin", "operator", "production");
    const asked = await api(
      "POST",
      "/api/v1/access/requests",
      { role: "operator", env: "production", durationMs: 3000, reason: "INC-2" },
      dana,
    );
    assert.equal(asked.status, 201, JSON.stringify(asked));
    const id = Number(asked.id);
    const self = await api("POST", `/api/v1/envs/production/access/requests/${id}/approve`, {}, dana);
    assert.equal(self.status, 403, "the requester cannot approve");
    const approved = await api("POST", `/api/v1/envs/production/access/requests/${id}/approve`, {}, erin);
    assert.equal(approved.state, "approved");
    const whoami = await api("GET", "/api/v1/auth/whoami", undefined, dana);
    assert.match(JSON.stringify(whoami), new RegExp(`"requestId":${id}`), "the timed grant is in force");
    // Steering a production rollout is above dana's capped standing role: allowed (404: no rollout) while the grant holds.
    const steer = () => api("POST", "/api/v1/envs/production/apps/web/rollout/pause", {}, dana);
    assert.notEqual((await steer()).status, 403);
    await waitFor(async () => ((await events("access.expired")).some((e) => e.data.id === id) ? true : undefined), { timeoutMs: 10_000 });
    assert.equal((await steer()).status, 403, "refused again after expiry");
  });
});
