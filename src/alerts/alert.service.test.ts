import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { AlertWorld, BASE_MANIFEST, instance } from "./alert-world.fixture.ts";

let world: AlertWorld;
afterEach(async () => {
  assert.deepEqual(world.violations(), [], "every alert state change commits with its event");
  await world.close();
});

describe("alert evaluation: pending → firing after `for` → resolved", () => {
  it("20% failing requests: the default high_error_ratio is pending, fires after 20s, resolves when errors stop", async () => {
    world = await new AlertWorld().open();
    world.instances = [instance("web", "healthy")];
    world.deployments = [{ env: "production", app: "web", release: 3, rollout: null }];
    await world.run(60, () => world.serve("web", 10, 0));
    assert.deepEqual(await world.alerts.evaluator.active(), [], "healthy traffic raises nothing");

    const faultAt = world.clock.now();
    let firedAt: number | null = null;
    await world.run(60, () => {
      world.serve("web", 8, 2);
      if (firedAt === null && world.notifier.last().some((a) => a.rule === "high_error_ratio" && a.state === "firing"))
        firedAt = world.clock.now();
    });
    const [alert] = await world.alerts.evaluator.active();
    assert.equal(alert?.rule, "high_error_ratio");
    assert.equal(alert?.state, "firing");
    assert.deepEqual(alert?.labels, { alertname: "high_error_ratio", severity: "critical", env: "production", app: "web", release: "3" });
    assert.ok(alert && alert.value > 0.05 && alert.value <= 0.2, `value ${alert?.value}`);
    assert.match(alert?.annotations.summary ?? "", /^web fails \d+(\.\d+)?% of its requests in production$/);
    assert.ok(firedAt !== null && firedAt - faultAt <= 45_000, `fired ${(firedAt ?? Number.NaN) - faultAt} ms after the fault`);
    assert.ok(alert && alert.firedAt !== null && alert.firedAt - alert.activeAt >= 20_000, "held for `for` before firing");

    await world.run(90, () => world.serve("web", 10, 0));
    assert.deepEqual(await world.alerts.evaluator.active(), []);
    const resolvedHandOvers = world.notifier.all().filter((a) => a.state === "resolved");
    assert.equal(resolvedHandOvers.length, 1, "the all-clear is handed over once");
    assert.equal(resolvedHandOvers[0]?.fingerprint, alert?.fingerprint);
    assert.deepEqual(await world.eventTypes(), ["alert.pending", "alert.firing", "alert.resolved"]);
    // Every round hands over every firing alert (the notifier groups and repeats), and rounds with none are empty.
    assert.ok(world.notifier.calls.filter((c) => c.alerts.some((a) => a.state === "firing")).length >= 5);
  });

  it("a condition that clears before `for` never fires and is not handed over", async () => {
    world = await new AlertWorld(`${BASE_MANIFEST}    alerts:\n      - { name: burst, expr: error_ratio(5s) > 0.5, for: 30s }\n`).open();
    world.instances = [instance("web", "healthy")];
    await world.run(60, () => world.serve("web", 10, 0));
    await world.run(10, () => world.serve("web", 0, 10));
    await world.run(10, () => world.serve("web", 10, 0));
    const events = await world.events.query({ type: "alert.", limit: 10 });
    assert.deepEqual(
      events.filter((e) => e.data.rule === "burst").map((e) => e.type),
      ["alert.pending", "alert.resolved"],
    );
    const resolved = events.find((e) => e.type === "alert.resolved");
    assert.match(resolved?.message ?? "", /cleared before it fired/);
    assert.deepEqual(
      world.notifier.all().filter((a) => a.rule === "burst"),
      [],
    );
  });

  it("state survives a restart: a pending alert keeps counting `for` from when it began", async () => {
    world = await new AlertWorld().open();
    world.instances = [instance("web", "healthy")];
    await world.run(60, () => world.serve("web", 10, 0));
    await world.run(15, () => world.serve("web", 5, 5));
    const [pending] = await world.alerts.evaluator.active();
    assert.equal(pending?.state, "pending");
    world.restart();
    const [reloaded] = await world.alerts.evaluator.active();
    assert.deepEqual({ ...reloaded, value: 0, annotations: {} }, { ...pending, value: 0, annotations: {} });
    await world.run(20, () => world.serve("web", 5, 5));
    const [firing] = await world.alerts.evaluator.active();
    assert.equal(firing?.state, "firing");
    assert.equal(firing?.activeAt, pending?.activeAt);
    const heldMs = (firing?.firedAt ?? 0) - (pending?.activeAt ?? 0);
    assert.ok(heldMs >= 20_000 && heldMs <= 25_000, `fired ${heldMs} ms after it began, the restart did not start \`for\` over`);
    assert.deepEqual(await world.eventTypes(), ["alert.pending", "alert.firing"]);
  });

  it("an idle app raises no error-ratio alert (no data is not a breach), a crash loop fires at once", async () => {
    world = await new AlertWorld().open();
    world.instances = [instance("web", "unhealthy")];
    await world.run(20, (s) => {
      if (s % 5 === 0) world.restartInstance("web");
    });
    const active = (await world.alerts.evaluator.active()).sort((a, b) => a.rule.localeCompare(b.rule));
    assert.deepEqual(
      active.map((a) => [a.rule, a.state]),
      [
        ["crash_loop", "firing"],
        ["no_healthy_instance", "pending"],
      ],
    );
    assert.equal(active[0]?.value, 4, "restarts in the last 10 minutes");
    await world.run(30);
    assert.deepEqual(
      (await world.alerts.evaluator.active()).sort((a, b) => a.rule.localeCompare(b.rule)).map((a) => [a.rule, a.state]),
      [
        ["crash_loop", "firing"],
        ["no_healthy_instance", "firing"],
      ],
    );
  });

  it("p99 against the app's own baseline: latency_p99_regression fires after 30s of a p99 over twice the 1-day p99", async () => {
    world = await new AlertWorld().open();
    world.instances = [instance("web", "healthy")];
    world.baselineValue = 0.02;
    await world.run(60, () => world.serve("web", 10, 0, 20));
    assert.deepEqual(await world.alerts.evaluator.active(), []);
    await world.run(60, () => world.serve("web", 10, 0, 150));
    const alert = (await world.alerts.evaluator.active()).find((a) => a.rule === "latency_p99_regression");
    assert.equal(alert?.state, "firing");
    assert.equal(alert?.labels.severity, "warning");
    assert.ok(alert && alert.value >= 0.1, `p99 ${alert?.value}`);
    assert.match(alert?.annotations.summary ?? "", /p99 latency is \d+(\.\d+)?ms in production/);
  });

  it("without a baseline yet (no history), the p99 rule has no data and stays quiet", async () => {
    world = await new AlertWorld().open();
    world.instances = [instance("web", "healthy")];
    await world.run(90, () => world.serve("web", 10, 0, 150));
    assert.deepEqual(await world.alerts.evaluator.active(), []);
  });
});
