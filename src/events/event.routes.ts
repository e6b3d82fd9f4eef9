import { z } from "zod";
import { defineRoute, type RouteDefinition } from "../api/route-definition.ts";
import { defineStreamRoute, type StreamRouteDefinition } from "../api/stream-route.ts";
import type { EventLog } from "./event-log.ts";
import { type EventQuery, eventSchema, type RampartEvent } from "./event.types.ts";

const querySchema = z.strictObject({
  since: z.coerce.number().int().optional().describe("epoch ms"),
  afterId: z.coerce.number().int().optional(),
  beforeId: z.coerce.number().int().optional().describe("only events with a smaller id: the next page back"),
  env: z.string().optional(),
  app: z.string().optional(),
  type: z.string().optional().describe("an event type, or a prefix ending in '.'"),
  limit: z.coerce.number().int().min(1).max(10_000).default(500),
});

export function eventRoutes(events: EventLog): RouteDefinition[] {
  return [
    defineRoute({
      method: "GET",
      path: "/api/v1/events",
      summary:
        "The event log: every state change, oldest first (the newest `limit` matching); without `env`, those of the environments the caller may read",
      tag: "events",
      permission: "read",
      filtered: true,
      query: querySchema,
      response: z.object({ events: z.array(eventSchema) }),
      handler: async ({ query, may }) => ({ events: await readablePage(events, query, readableBy(may)) }),
    }),
  ];
}

export function eventStreams(events: EventLog): StreamRouteDefinition[] {
  return [
    defineStreamRoute({
      path: "/api/v1/events/stream",
      summary:
        "Server-Sent Events: `event` for each new event, its id as the SSE id; with afterId (or a Last-Event-ID header, which wins), the missed ones first; without `env`, those of the environments the caller may read",
      tag: "events",
      permission: "read",
      filtered: true,
      query: querySchema.omit({ limit: true, since: true, beforeId: true }),
      handler: async ({ query: asked, lastEventId, may }, sink) => {
        // A reconnecting client resumes after the last event it saw (ids are what we sent: positive integers).
        const resumeAfter = lastEventId !== undefined && /^\d{1,15}$/.test(lastEventId.trim()) ? Number(lastEventId.trim()) : undefined;
        const query = resumeAfter === undefined ? asked : { ...asked, afterId: resumeAfter };
        const readable = readableBy(may);
        const matches = (e: RampartEvent) =>
          readable(e) &&
          (query.env === undefined || e.env === query.env) &&
          (query.app === undefined || e.app === query.app) &&
          (query.type === undefined || (query.type.endsWith(".") ? e.type.startsWith(query.type) : e.type === query.type));
        // Subscribe before replaying so nothing committed in between is missed; ids drop the overlap.
        let lastSent = query.afterId ?? 0;
        const send = (e: RampartEvent) => {
          if (e.id <= lastSent) return;
          lastSent = e.id;
          if (matches(e)) sink.send("event", e, e.id);
        };
        let replaying = query.afterId !== undefined;
        const buffered: RampartEvent[] = [];
        const unsubscribe = events.subscribe((e) => (replaying ? buffered.push(e) : send(e)));
        try {
          if (query.afterId !== undefined) {
            for (const e of await events.query({ afterId: query.afterId, env: query.env, app: query.app, type: query.type, limit: 10_000 }))
              send(e);
            replaying = false;
            for (const e of buffered.splice(0)) send(e);
          }
          await new Promise<void>((resolve) => sink.closed.addEventListener("abort", () => resolve(), { once: true }));
        } finally {
          unsubscribe();
        }
      },
    }),
  ];
}

/** How many pages of `limit` events a filtered list reads back at most before it answers with fewer. */
const MAX_PAGES = 10;

/**
 * The newest `limit` matching events the caller may read. Filtering one page would hand a staging-only developer
 * fewer than `limit` (or none) when production is busy: pages are read back until enough are found, up to
 * {@link MAX_PAGES} (a bound on what one request costs; the answer is then shorter, oldest first as always).
 */
async function readablePage(events: EventLog, query: EventQuery, readable: (event: RampartEvent) => boolean): Promise<RampartEvent[]> {
  let found: RampartEvent[] = [];
  let beforeId = query.beforeId;
  for (let page = 0; page < MAX_PAGES; page++) {
    const batch = await events.query({ ...query, beforeId });
    found = [...batch.filter(readable), ...found];
    const oldest = batch[0];
    if (found.length >= query.limit || batch.length < query.limit || oldest === undefined) break;
    beforeId = oldest.id;
  }
  return found.slice(-query.limit);
}

/**
 * The events a caller may see: those of the environments where they hold `read`, and those naming no environment
 * only when they hold it in every one (as the unfiltered log needed before). Decided per event with the grants in
 * force then, so an open stream stops showing an environment as soon as a just-in-time grant there ends.
 */
function readableBy(may: (permission: "read", env: string | null) => boolean): (event: RampartEvent) => boolean {
  return (event) => may("read", event.env);
}
