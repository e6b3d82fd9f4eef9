import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { isEvaluationFailureResponse } from "@openfeature/ofrep-core";
import { OFREPProvider } from "@openfeature/ofrep-provider";
import { OpenFeature } from "@openfeature/server-sdk";
import { ApiError } from "../client/api-client.ts";
import { readSse } from "../client/sse-reader.ts";
import { waitFor } from "../shared/wait.ts";
import { killPlatform, runCli, startRampartUp, type RampartUp } from "../testing/rampart-process.ts";
import { createTestProject, type TestProject } from "../testing/test-project.ts";
import type { FlagSnapshot } from "../../packages/sdk/src/flag-data.ts";

describe("feature flags through a real `rampart up`", () => {
  let project: TestProject;
  let up: RampartUp;
  let token: string;
  const cli = (...args: string[]) => runCli([...args, "--data", project.dataDir]);
  const ofrep = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${up.client.baseUrl}/ofrep/v1/evaluate/flags${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
    });

  before(async () => {
    project = await createTestProject({ instances: 1 });
    up = await startRampartUp(project);
  });
  after(async () => killPlatform(project.dataDir, up));

  it("create → token → OFREP: a 25% rollout serves about a quarter, and raising it to 50% keeps everyone in", async () => {
    const created = cli("flags", "create", "new-reco", "--env", "staging");
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /next: rampart flags token --env staging/);
    const minted = cli("flags", "token", "--env", "staging");
    assert.equal(minted.code, 0, minted.stderr);
    token = minted.stdout.trim();
    assert.match(token, /^rsdk_staging_[0-9a-f]{32}$/);

    assert.equal(cli("flags", "rollout", "new-reco", "--env", "staging", "--percent", "25", "--by", "userId").code, 0);
    const served = async () => {
      const variants: string[] = [];
      for (let i = 0; i < 4000; i += 200) {
        const batch = await Promise.all(
          Array.from(
            { length: 200 },
            async (_, j) =>
              (await (await ofrep("/new-reco", { context: { targetingKey: `t${i + j}`, userId: `user-${i + j}` } })).json()) as {
                variant: string;
                value: boolean;
                reason: string;
              },
          ),
        );
        variants.push(...batch.map((r) => r.variant));
      }
      return variants;
    };
    const at25 = await served();
    const share25 = at25.filter((v) => v === "on").length / at25.length;
    assert.ok(Math.abs(share25 - 0.25) < 0.03, `share at 25%: ${share25}`);

    assert.equal(cli("flags", "rollout", "new-reco", "--env", "staging", "--percent", "50", "--by", "userId").code, 0);
    const at50 = await served();
    const share50 = at50.filter((v) => v === "on").length / at50.length;
    assert.ok(Math.abs(share50 - 0.5) < 0.03, `share at 50%: ${share50}`);
    at25.forEach((v, i) => v === "on" && assert.equal(at50[i], "on", `user-${i} had the feature at 25% and must keep it at 50%`));

    const single = (await (await ofrep("/new-reco", { context: { userId: "user-1" } })).json()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(single).sort(), ["key", "metadata", "reason", "value", "variant"]);
    const get = cli("flags", "get", "new-reco", "--env", "staging", "--context", "userId=user-1", "--json");
    assert.equal((JSON.parse(get.stdout) as { variation: string }).variation, single.variant);
  });

  it("the snapshot answers 304 to an unchanged ETag, and 200 with a new one after a change", async () => {
    const url = `${up.client.baseUrl}/api/v1/flags/sdk/snapshot`;
    const first = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    const etag = first.headers.get("etag") ?? "";
    const snapshot = (await first.json()) as FlagSnapshot;
    assert.equal(etag, `"${snapshot.version}"`);
    const again = await fetch(url, { headers: { authorization: `Bearer ${token}`, "if-none-match": etag } });
    assert.equal(again.status, 304);
    assert.equal(await again.text(), "");
    const bulk = await ofrep("", { context: { userId: "u1" } });
    const bulkEtag = bulk.headers.get("etag") ?? "";
    assert.ok(((await bulk.json()) as { flags: unknown[] }).flags.length >= 1);
    assert.equal((await ofrep("", { context: { userId: "u1" } }, { "if-none-match": bulkEtag })).status, 304);
    assert.equal(
      (await ofrep("", { context: { userId: "u2" } }, { "if-none-match": bulkEtag })).status,
      200,
      "another context, another answer",
    );
    cli("flags", "rollout", "new-reco", "--env", "staging", "--percent", "60", "--by", "userId");
    const changed = await fetch(url, { headers: { authorization: `Bearer ${token}`, "if-none-match": etag } });
    assert.equal(changed.status, 200);
    assert.equal(((await changed.json()) as FlagSnapshot).version, snapshot.version + 1);
  });

  it("the kill switch reaches a connected SSE client at once", async () => {
    const controller = new AbortController();
    const response = await fetch(`${up.client.baseUrl}/api/v1/flags/sdk/stream`, {
      headers: { authorization: `Bearer ${token}` },
      signal: controller.signal,
    });
    assert.equal(response.headers.get("content-type"), "text/event-stream");
    const messages = readSse(response.body as ReadableStream<Uint8Array>);
    const first = (await messages.next()).value;
    assert.equal(first?.event, "snapshot");
    const initial = JSON.parse(first?.data ?? "{}") as FlagSnapshot;
    assert.equal(initial.flags.find((f) => f.key === "new-reco")?.enabled, true);
    const killed = cli("flags", "kill", "new-reco", "--env", "staging", "--reason", "e2e");
    assert.equal(killed.code, 0, killed.stderr);
    const next = (await messages.next()).value;
    controller.abort();
    const pushed = JSON.parse(next?.data ?? "{}") as FlagSnapshot;
    assert.equal(next?.id, String(pushed.version));
    assert.equal(pushed.flags.find((f) => f.key === "new-reco")?.enabled, false);
    const evaluated = (await (await ofrep("/new-reco", { context: { userId: "user-1" } })).json()) as { reason: string; value: boolean };
    assert.deepEqual([evaluated.reason, evaluated.value], ["DISABLED", false]);
  });

  it("a protected environment needs a second person: the change waits, the requester cannot approve, another can", async () => {
    // Two people with their own tokens: the author and the approver are whoever authenticated, nothing they claim.
    const tokenOf = async (name: string) => {
      await up.client.addUser({ name });
      await up.client.grantRole({ user: name, role: "operator", env: "*" });
      return (await up.client.createToken({ name: "e2e", user: name })).token;
    };
    const as = { alice: { RAMPART_TOKEN: await tokenOf("alice") }, bob: { RAMPART_TOKEN: await tokenOf("bob") } };
    const cliAs = (who: keyof typeof as, ...args: string[]) => runCli([...args, "--data", project.dataDir], { env: as[who] });
    // Production is protected: standing access there stops at viewer, so alice asks for operator just in time.
    const refused = cliAs("alice", "flags", "rollout", "new-reco", "--env", "production", "--percent", "10", "--by", "userId");
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /rampart access request --role \w+ --env production/);
    const asked = cliAs(
      "alice",
      "access",
      "request",
      "--role",
      "operator",
      "--env",
      "production",
      "--for",
      "1h",
      "--reason",
      "roll out new-reco",
      "--json",
    );
    assert.equal(asked.code, 0, asked.stderr);
    const requestId = String((JSON.parse(asked.stdout) as { id: number }).id);
    const granted = cliAs("bob", "access", "approve", requestId);
    assert.equal(granted.code, 0, granted.stderr);
    const filed = cliAs("alice", "flags", "rollout", "new-reco", "--env", "production", "--percent", "10", "--by", "userId", "--json");
    assert.equal(filed.code, 0, filed.stderr);
    const result = JSON.parse(filed.stdout) as { applied: boolean; request: { id: number } };
    assert.equal(result.applied, false);
    const id = String(result.request.id);
    const pending = JSON.parse(cli("flags", "requests", "--env", "production", "--status", "pending", "--json").stdout) as Array<{
      id: number;
    }>;
    assert.ok(pending.some((r) => r.id === result.request.id));
    const self = cliAs("alice", "flags", "approve", id);
    assert.equal(self.code, 1);
    assert.match(self.stderr, /someone else must approve/);
    const approved = cliAs("bob", "flags", "approve", id);
    assert.equal(approved.code, 0, approved.stderr);
    assert.match(approved.stdout, /production now serves: 10% on by userId/);
    const history = JSON.parse(cli("flags", "history", "new-reco", "--env", "production", "--json").stdout) as Array<{
      type: string;
      actor: string;
      data: { before?: unknown; after?: unknown };
    }>;
    const change = history.find((e) => e.type === "flag.changed");
    assert.equal(change?.actor, "bob");
    assert.ok(change?.data.before && change.data.after, "before and after are recorded");
    assert.ok(history.some((e) => e.type === "flag.approval.requested" && e.actor === "alice"));
  });

  it("rejects bad input with 4xx naming the field", async () => {
    const fieldsOf = async (work: Promise<unknown>) => {
      const error = await work.then(
        () => null,
        (e: unknown) => e,
      );
      assert.ok(error instanceof ApiError, String(error));
      assert.equal(error.status, 400, error.message);
      return (error.details as Array<{ field: string }>).map((d) => d.field);
    };
    assert.deepEqual(await fieldsOf(up.client.createFlag({ key: "bad key!" })), ["body.key"]);
    assert.deepEqual(await fieldsOf(up.client.createFlag({ key: "x", type: "color" as "boolean" })), ["body.type"]);
    assert.deepEqual(await fieldsOf(up.client.rolloutFlag("new-reco", "staging", { percentage: 140 })), ["body.percentage"]);
    assert.deepEqual(
      await fieldsOf(
        up.client.setFlag("new-reco", "staging", {
          rules: [{ clauses: [{ attribute: "email", operator: "matches", values: ["(("] }], serve: { variation: "on" } }] as never,
        }),
      ),
      ["body.rules.0.clauses.0.values.0"],
    );
    assert.deepEqual(
      await fieldsOf(up.client.planFlag("new-reco", "staging", { steps: [50, 10], every: "soon", guards: { errors: "lots" } })),
      ["body.steps"],
    );
    assert.deepEqual(
      await fieldsOf(up.client.planFlag("new-reco", "staging", { steps: [10, 50], every: "soon", guards: { errors: "lots" } })),
      ["body.every", "body.guards.errors"],
    );
    await assert.rejects(up.client.flag("nope"), (e: ApiError) => e.status === 404);
    await assert.rejects(
      up.client.setFlag("new-reco", "mars", { enabled: true }),
      (e: ApiError) => e.status === 404 && /environment "mars"/.test(e.message),
    );

    assert.equal((await ofrep("/new-reco", {}, { authorization: "Bearer rsdk_staging_00000000000000000000000000000000" })).status, 401);
    assert.equal((await ofrep("/new-reco", {}, { authorization: "" })).status, 401);
    const missing = await ofrep("/no-such-flag", { context: {} });
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { errorCode: string }).errorCode, "FLAG_NOT_FOUND");
    const invalid = await ofrep("/new-reco", { context: "user-1" });
    assert.equal(invalid.status, 400);
    assert.equal(((await invalid.json()) as { errorCode: string }).errorCode, "INVALID_CONTEXT");
    const unparsable = await fetch(`${up.client.baseUrl}/ofrep/v1/evaluate/flags/new-reco`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: "{not json",
    });
    assert.equal(unparsable.status, 400);
    assert.equal(((await unparsable.json()) as { errorCode: string }).errorCode, "PARSE_ERROR");
    const metrics = await fetch(`${up.client.baseUrl}/api/v1/flags/sdk/metrics`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ fromMs: 0, toMs: 1, counts: [{ flag: "new-reco", variation: "on", count: -1 }] }),
    });
    assert.equal(metrics.status, 400);
    assert.deepEqual(
      ((await metrics.json()) as { error: { details: Array<{ field: string }> } }).error.details.map((d) => d.field),
      ["body.counts.0.count"],
    );
  });

  it("OFREP: the bulk ETag ignores the context's key order; single-flag failures carry the key; OpenFeature's OFREP provider reads us", async () => {
    const forward = await ofrep("", { context: { targetingKey: "t1", userId: "u1", country: "de", plan: "pro" } });
    assert.equal(forward.status, 200);
    const etag = forward.headers.get("etag") ?? "";
    const reordered = await ofrep(
      "",
      { context: { plan: "pro", country: "de", userId: "u1", targetingKey: "t1" } },
      { "if-none-match": etag },
    );
    assert.equal(reordered.status, 304, "the same context with its keys in another order has the same answers");
    assert.equal(reordered.headers.get("etag"), etag);

    for (const body of ["{not json", '{"context":'])
      for (const key of ["new-reco", "no-such-flag"]) {
        const failed = await fetch(`${up.client.baseUrl}/ofrep/v1/evaluate/flags/${key}`, {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body,
        });
        assert.equal(failed.status, 400);
        const answer = (await failed.json()) as { key?: string; errorCode: string };
        assert.equal(answer.errorCode, "PARSE_ERROR");
        assert.equal(answer.key, key);
        assert.ok(isEvaluationFailureResponse(answer), `OFREP clients must accept ${JSON.stringify(answer)}`);
      }

    const domain = "ofrep-e2e";
    await OpenFeature.setProviderAndWait(
      domain,
      new OFREPProvider({ baseUrl: up.client.baseUrl, headers: [["authorization", `Bearer ${token}`]] }),
    );
    try {
      const client = OpenFeature.getClient(domain);
      const details = await client.getBooleanDetails("new-reco", false, { targetingKey: "t1", userId: "user-1" });
      const expected = (await (await ofrep("/new-reco", { context: { targetingKey: "t1", userId: "user-1" } })).json()) as {
        value: boolean;
        variant: string;
      };
      assert.equal(details.errorCode, undefined, details.errorMessage);
      assert.equal(details.value, expected.value);
      assert.equal(details.variant, expected.variant);
      const missing = await client.getBooleanDetails("no-such-flag", true, { targetingKey: "t1" });
      assert.equal(missing.value, true);
      assert.equal(missing.errorCode, "FLAG_NOT_FOUND");
    } finally {
      await OpenFeature.clearProviders();
    }
  });

  it("SDK metrics feed stale detection: evaluation counts show in the flag", async () => {
    const response = await fetch(`${up.client.baseUrl}/api/v1/flags/sdk/metrics`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({
        fromMs: Date.now() - 60_000,
        toMs: Date.now(),
        counts: [
          { flag: "new-reco", variation: "on", count: 7 },
          { flag: "typo", variation: "on", count: 1 },
        ],
      }),
    });
    assert.equal(response.status, 202);
    assert.deepEqual(await response.json(), { accepted: 1 });
    const flag = await waitFor(
      async () => {
        const f = await up.client.flag("new-reco", "staging");
        return f.environments[0]?.stale.evaluations === 7 ? f : undefined;
      },
      { timeoutMs: 5000 },
    );
    assert.ok(flag.environments[0]?.stale.lastEvaluatedAt);
  });
});
