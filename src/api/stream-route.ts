import type { z } from "zod";
import type { Permission } from "../access/permissions.ts";
import type { RouteAuth } from "./route-definition.ts";

/** What a streaming route writes to: one Server-Sent Event at a time. */
export interface SseSink {
  send(event: string, data: unknown, id?: string | number): void;
  /** Resolves when the client goes away; the route stops its work then. */
  readonly closed: AbortSignal;
}

/** A long-lived GET answered as text/event-stream (events, log tail). */
export interface StreamRouteDefinition<P extends z.ZodType = z.ZodType, Q extends z.ZodType = z.ZodType> {
  path: string;
  summary: string;
  tag: string;
  /** Platform token unless set (see RouteDefinition.auth). */
  auth?: RouteAuth;
  /** As RouteDefinition.permission. */
  permission?: Permission;
  /** As RouteDefinition.filtered: the handler keeps only what `may` allows. */
  filtered?: boolean;
  params?: P;
  query?: Q;
  /** Runs before the stream opens, so a bad request still gets a proper 4xx instead of an empty stream. */
  check?: (request: { params: z.infer<P>; query: z.infer<Q> }) => void | Promise<void>;
  /**
   * `lastEventId` is the client's Last-Event-ID header: the `id` of the last event it received before it
   * reconnected. A stream that sends ids resumes after it, so a reconnecting client misses nothing.
   */
  handler: (
    request: { params: z.infer<P>; query: z.infer<Q>; lastEventId?: string; may: (permission: Permission, env: string | null) => boolean },
    sink: SseSink,
  ) => Promise<void>;
}

export function defineStreamRoute<P extends z.ZodType, Q extends z.ZodType>(route: StreamRouteDefinition<P, Q>): StreamRouteDefinition {
  return route as unknown as StreamRouteDefinition;
}
