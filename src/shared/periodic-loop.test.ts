import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { systemClock } from "./clock.ts";
import { FakeClock } from "./fake-clock.ts";
import { periodicLoop } from "./periodic-loop.ts";
import { waitFor } from "./wait.ts";

describe("periodicLoop", () => {
  it("runs its rounds `everyMs` apart from start to start, and a round that throws does not end it", async () => {
    const clock = new FakeClock(0);
    const starts: number[] = [];
    const errors: unknown[] = [];
    const loop = periodicLoop(
      clock,
      1_000,
      () => {
        starts.push(clock.now());
        clock.advance(300); // the round itself takes 300 ms
        if (starts.length === 2) throw new Error("busy database");
      },
      (error) => errors.push(error),
    );
    loop.start();
    loop.start(); // a second start is no second loop
    await waitFor(() => (starts.length >= 4 ? true : undefined), { timeoutMs: 5_000 });
    await loop.stop();
    assert.deepEqual(starts.slice(0, 4), [0, 1_000, 2_000, 3_000]);
    assert.equal(errors.length, 1);
    assert.equal(loop.running, false);
  });

  it("a stop ends the wait between rounds at once, on the real clock", async () => {
    let rounds = 0;
    const loop = periodicLoop(
      systemClock,
      3_600_000,
      () => {
        rounds++;
      },
      () => undefined,
    );
    loop.start();
    await waitFor(() => (rounds === 1 ? true : undefined), { timeoutMs: 5_000 });
    // Without the abort this would sleep out the hour (and the test runner's timeout would fail it).
    await loop.stop();
    assert.equal(rounds, 1);
  });

  it("reads a changing interval before each wait", async () => {
    const clock = new FakeClock(0);
    const starts: number[] = [];
    let every = 100;
    const loop = periodicLoop(
      clock,
      () => every,
      () => {
        starts.push(clock.now());
        every = 500;
      },
      () => undefined,
    );
    loop.start();
    await waitFor(() => (starts.length >= 3 ? true : undefined), { timeoutMs: 5_000 });
    await loop.stop();
    assert.deepEqual(starts.slice(0, 3), [0, 500, 1_000]);
  });
});
