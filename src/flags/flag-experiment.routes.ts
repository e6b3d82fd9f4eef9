import { z } from "zod";
import { defineRoute, type RouteDefinition } from "../api/route-definition.ts";
import { RampartError } from "../shared/errors.ts";
import type { FlagExperimentService } from "./flag-experiment.service.ts";
import type { FlagExperimentReports } from "./flag-experiment-report.service.ts";
import { experimentReportSchema, experimentResultsSchema } from "./flag-experiment.view.ts";
import type { FlagSdkService } from "./flag-sdk.service.ts";
import { keySchema } from "./flag.types.ts";

const SDK_ACTOR = "sdk:";
const envOfActor = (actor: string) => actor.slice(SDK_ACTOR.length);
const primitive = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const valueSchema = z.number().finite().min(-1e12).max(1e12).optional().describe("e.g. the order total");

/** "on=50,off=50" → { on: 50, off: 50 }. */
function parseSplit(text: string | undefined): Record<string, number> | undefined {
  if (text === undefined) return undefined;
  const split: Record<string, number> = {};
  for (const part of text.split(",")) {
    const [name, weight] = part.split("=");
    const w = Number(weight);
    if (!name || !(w > 0)) {
      throw new RampartError("invalid_option", `split ${JSON.stringify(text)} is not VARIATION=WEIGHT,…`, {
        hint: "e.g. --split control=50,treatment=50",
      });
    }
    split[name] = w;
  }
  return split;
}

export function flagExperimentRoutes(
  experiments: FlagExperimentService,
  sdk: FlagSdkService,
  reports: FlagExperimentReports,
): RouteDefinition[] {
  return [
    defineRoute({
      method: "POST",
      path: "/api/v1/flags/events",
      summary: "Business events from apps without the SDK, attributed to the variations each user was served; SDK token",
      tag: "flags",
      status: 202,
      auth: (authorization) => sdk.actorOf(authorization),
      body: z.strictObject({
        events: z
          .array(
            z.strictObject({
              key: keySchema.describe("the metric, e.g. purchase"),
              context: z.record(z.string(), primitive).describe("needs targetingKey (or key, or userId); only its hash is kept"),
              value: valueSchema,
            }),
          )
          .max(10_000),
      }),
      response: z.object({ accepted: z.number().int(), attributed: z.number().int(), withoutKey: z.number().int() }),
      handler: ({ body, actor }) => experiments.ingestHttp(envOfActor(actor), body.events),
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/flags/sdk/events",
      summary: "The SDK's batch of exposures and tracked events (hashed user keys); SDK token",
      tag: "flags",
      status: 202,
      auth: (authorization) => sdk.actorOf(authorization),
      body: z.strictObject({
        exposures: z
          .array(
            z.strictObject({
              flag: z.string().min(1).max(100),
              variation: z.string().min(1).max(100),
              user: z.string().regex(/^[0-9a-f]{32}$/),
              atMs: z.number().int().min(0),
            }),
          )
          .max(10_000),
        events: z
          .array(
            z.strictObject({ key: keySchema, user: z.string().regex(/^[0-9a-f]{32}$/), atMs: z.number().int().min(0), value: valueSchema }),
          )
          .max(10_000),
      }),
      response: z.object({ exposures: z.number().int(), events: z.number().int(), attributed: z.number().int() }),
      handler: ({ body, actor }) => experiments.ingestSdk(envOfActor(actor), body),
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/flags/:key/results",
      summary: "Experiment results per variation and day: conversion, events and value per user with always-valid intervals",
      tag: "flags",
      permission: "read",
      params: z.object({ key: keySchema }),
      query: z.strictObject({
        env: z.string().min(1),
        metric: keySchema.optional().describe("default: the metric with most events"),
        control: z.string().min(1).optional().describe("default: the flag's off variation"),
        split: z.string().optional().describe("configured split for the sample-ratio check, e.g. on=50,off=50"),
        alpha: z.coerce.number().min(0.0001).max(0.5).default(0.05),
        mde: z.coerce.number().positive().max(10).default(0.05).describe("relative effect the sample needed is sized for"),
        retention: z
          .string()
          .regex(/^\d{1,3}(,\d{1,3}){0,9}$/, { error: "expected days after first exposure, e.g. 1,7 or 1,7,28" })
          .optional()
          .describe("N of 'returned after N days', comma-separated (default 1,7)"),
      }),
      response: experimentResultsSchema,
      handler: ({ params, query }) =>
        experiments.results(params.key, query.env, {
          metric: query.metric,
          control: query.control,
          split: parseSplit(query.split),
          alpha: query.alpha,
          targetEffect: query.mde,
          retentionDays: query.retention?.split(",").map(Number),
        }),
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/flags/:key/report",
      summary: "The experiment's report in Markdown: exposure, metrics with intervals, decision so far, the plan's next step",
      tag: "flags",
      permission: "read",
      params: z.object({ key: keySchema }),
      query: z.strictObject({
        env: z.string().min(1),
        alpha: z.coerce.number().min(0.0001).max(0.5).default(0.05),
        mde: z.coerce.number().positive().max(10).default(0.05).describe("relative effect the sample needed is sized for"),
      }),
      response: experimentReportSchema,
      handler: ({ params, query }) => reports.report(params.key, query.env, { alpha: query.alpha, mde: query.mde }),
    }),
  ];
}
