import type { EdgeRequest } from "./edge-request.types.ts";
import { pickInstance, pickRelease, pickUpInstanceElsewhere, type InstanceLoad } from "./balancer.ts";
import type { CompiledApp, CompiledEnvironment, CompiledInstance, CompiledRelease } from "./compiled-table.ts";
import type { ForwardPlan } from "./proxy-headers.ts";
import { parsePinnedRelease } from "./release-pin.ts";
import { newStickyId, pickStickyRelease, stickyCookieHeader, stickyKeyOf, stickyPosition } from "./sticky-split.ts";

/** What a request (or a WebSocket upgrade) goes to: an instance, or why there is none (no object per request). */
export type InstanceChoice = CompiledInstance | string;

/**
 * The instance for a new request or upgrade: the release pinned by X-Rampart-Release (from the environment's
 * pin sources), else the client's side of a sticky canary split, else the weighted rotation; within it the
 * least outstanding instance. When every instance of that release refuses connections another release
 * serves, and a release on standby (weight 0) serves when none takes traffic.
 */
export function chooseInstance(
  env: CompiledEnvironment,
  app: CompiledApp,
  req: EdgeRequest,
  plan: ForwardPlan,
  load: InstanceLoad,
): InstanceChoice {
  const pinned = plan.pin === undefined ? undefined : pinnedRelease(env, app, req, plan);
  if (typeof pinned === "number")
    return `release ${pinned} of ${app.name} has no instance to serve this request (pinned by X-Rampart-Release)`;
  const release = pinned ?? (app.split ? pickStickyRelease(app, clientPosition(env, app, req, plan)) : pickRelease(app));
  let instance = release === undefined ? pickUpInstanceElsewhere(app, -1, load, undefined, true) : pickInstance(release, load);
  if (instance !== undefined && pinned === undefined && load.isDown(instance.id)) {
    instance =
      pickUpInstanceElsewhere(app, instance.release, load) ??
      pickUpInstanceElsewhere(app, instance.release, load, undefined, true) ??
      instance;
  }
  return instance ?? `${app.name} has no instance to serve this request`;
}

/** The pinned release, undefined when the header does not apply, its number when it has no instances. */
function pinnedRelease(
  env: CompiledEnvironment,
  app: CompiledApp,
  req: EdgeRequest,
  plan: ForwardPlan,
): CompiledRelease | number | undefined {
  if (!env.pinSources.allows(req.socket.remoteAddress)) return undefined;
  const number = parsePinnedRelease(plan.pin);
  if (number === undefined) return undefined;
  return app.all.find((r) => r.release === number) ?? number;
}

/**
 * Where this client sits in a sticky split: the manifest's cookie or header, else the edge's own cookie (made
 * here when missing; `plan.setCookie` carries it to the response head).
 */
function clientPosition(env: CompiledEnvironment, app: CompiledApp, req: EdgeRequest, plan: ForwardPlan): number {
  let id = stickyKeyOf(app.sticky, req.headers, plan.cookie);
  if (id === undefined) {
    id = newStickyId();
    plan.setCookie = stickyCookieHeader(id, env.secure);
  }
  return stickyPosition(id);
}
