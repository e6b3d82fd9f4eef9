import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { ManifestSource } from "../config/manifest-source.ts";
import { ArtifactService } from "./artifact.service.ts";
import { ArtifactStore } from "./artifact.store.ts";
import { ReleaseService } from "./release.service.ts";
import { type ControlPlane, RolloutWorld } from "./rollout-engine.fixture.ts";
import { SourceUploads } from "./source-upload.ts";

let world: RolloutWorld;
let plane: ControlPlane;
let service: ReleaseService;

function manifest(release: string): void {
  writeFileSync(
    join(world.dir, "rampart.yaml"),
    [
      "name: unit",
      "environments:",
      "  production: { port: 18080 }",
      "apps:",
      "  web:",
      "    source: ./web",
      "    run: node server.js",
      "    instances: 2",
      `    release: { ${release} }`,
    ].join("\n"),
  );
}

beforeEach(async () => {
  world = await RolloutWorld.create();
  plane = await world.controlPlane();
  manifest("strategy: rolling");
  writeFileSync(join(world.dir, "web", "server.js"), "// v1\n");
  const { db } = world.database;
  const artifacts = new ArtifactService({
    artifacts: new ArtifactStore(db),
    releases: world.releases,
    events: plane.events,
    clock: world.clock,
    dataDir: join(world.dir, "data"),
    retention: 10,
    buildTimeoutMs: 60_000,
  });
  service = new ReleaseService({
    manifests: new ManifestSource(join(world.dir, "rampart.yaml")),
    releases: world.releases,
    rollouts: world.rollouts,
    artifacts,
    engine: plane.engine,
    supervisor: plane.runtime,
    events: plane.events,
    clock: world.clock,
    uploads: new SourceUploads({ dataDir: join(world.dir, "data"), clock: world.clock }),
  });
});
afterEach(async () => {
  assert.deepEqual(world.violations(), [], "every state change committed with its event");
  await world.close();
});

async function settle(number: number): Promise<string | undefined> {
  const rollout = await world.rollouts.forRelease("production", "web", number);
  assert.ok(rollout);
  await plane.engine.settled(rollout.id);
  return (await world.releases.get("production", "web", number))?.status;
}

describe("the release service without processes", () => {
  it("deploy returns at once with the release; a second deploy during its rollout is refused", async () => {
    const first = await service.deploy("production", "web", {}, "alice");
    assert.equal(first.number, 1);
    await assert.rejects(service.deploy("production", "web", {}, "bob"), /still rolling out/);
    assert.equal(await settle(1), "live");
  });

  it("rollback makes a new release from the previous live one's artifact, rolled out and live", async () => {
    await service.deploy("production", "web", {}, "alice");
    await settle(1);
    writeFileSync(join(world.dir, "web", "server.js"), "// v2\n");
    await service.deploy("production", "web", {}, "alice");
    await settle(2);
    const back = await service.rollback("production", "web", {}, "alice");
    assert.equal(back.number, 3);
    assert.equal(await settle(3), "live");
    const [one, three] = [await world.releases.get("production", "web", 1), await world.releases.get("production", "web", 3)];
    assert.equal(three?.artifactDigest, one?.artifactDigest);
    assert.equal(three?.rollbackOf, 1);
    assert.equal((await world.releases.get("production", "web", 2))?.status, "rolled_back");
  });

  it("blue-green: rollback while the old release is warm switches back at once; a new deploy lets a warm release go", async () => {
    manifest("strategy: blue-green, keep_warm: 10m");
    await service.deploy("production", "web", {}, "alice");
    await settle(1);
    writeFileSync(join(world.dir, "web", "server.js"), "// v2\n");
    await service.deploy("production", "web", {}, "alice");
    for (;;) {
      if ((await world.rollouts.forRelease("production", "web", 2))?.state === "warm") break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    const back = await service.rollback("production", "web", {}, "carol");
    assert.equal(back.number, 1);
    assert.equal(back.status, "live");
    await settle(2);
    assert.equal((await world.releases.get("production", "web", 2))?.status, "rolled_back");

    // Deploy again (warm again), then a third deploy: the warm rollout goes to draining, with its event.
    await service.deploy("production", "web", {}, "alice");
    for (;;) {
      if ((await world.rollouts.forRelease("production", "web", 3))?.state === "warm") break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    writeFileSync(join(world.dir, "web", "server.js"), "// v4\n");
    await service.deploy("production", "web", {}, "alice");
    assert.equal(await settle(4), "live");
    const letGo = (await world.events()).find((e) => e.release === 3 && /no longer kept warm/.test(e.message));
    assert.equal(letGo?.data.state, "draining");
  });
});
