import assert from "node:assert/strict";
import { test } from "node:test";
import { FakeClock } from "../shared/fake-clock.ts";
import { type CheckState, initialState, nextState, type Transition } from "./check-state.ts";

const thresholds = { failureThreshold: 3, successThreshold: 2 };

function run(results: boolean[]): { states: string[]; transitions: Transition[]; last: CheckState } {
  const clock = new FakeClock();
  let state = initialState(clock.now());
  const states: string[] = [];
  const transitions: Transition[] = [];
  for (const ok of results) {
    clock.advance(30_000);
    const next = nextState(state, ok, clock.now(), thresholds);
    state = next.state;
    states.push(state.state);
    transitions.push(next.transition);
  }
  return { states, transitions, last: state };
}

test("goes failing on the third failure in a row and recovers on the second success", () => {
  const { states, transitions } = run([true, false, false, false, false, true, true, true]);
  assert.deepEqual(states, ["ok", "ok", "ok", "failing", "failing", "failing", "ok", "ok"]);
  assert.deepEqual(transitions, [null, null, null, "failed", null, null, "recovered", null]);
});

test("a success between failures resets the count; a failure between successes delays recovery", () => {
  assert.deepEqual(run([false, false, true, false, false]).states, ["pending", "pending", "ok", "ok", "ok"]);
  const { states } = run([false, false, false, true, false, true, true]);
  assert.deepEqual(states, ["pending", "pending", "failing", "failing", "failing", "failing", "ok"]);
});

test("since is when the state began, not the last result", () => {
  const { last } = run([true, false, false, false, false, false]);
  assert.equal(last.state, "failing");
  assert.equal(last.since, 1_700_000_000_000 + 4 * 30_000);
  assert.equal(last.consecutiveFailures, 5);
});
