import { allocatePort } from "../runtime/port-allocator.ts";

/**
 * Ports tests hand to something that binds them later (an environment in a manifest, an edge listener): from their
 * own range, below the instances' (20000–31999) and the kernel's ephemeral range (32768–60999). A port taken from
 * `listen(0)` and released is one the kernel may give the next outgoing connection of any process on the machine
 * (the test suite makes thousands) before the test binds it; a port from this range it never gives out.
 */
export const TEST_PORT_RANGE = { min: 12_000, max: 20_000 } as const;

/** A port free a moment ago on 127.0.0.1, not handed out before by this process within a minute. */
export function freePort(): Promise<number> {
  return allocatePort("127.0.0.1", TEST_PORT_RANGE);
}
