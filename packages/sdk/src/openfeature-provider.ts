/**
 * OpenFeature server provider over the local FlagsClient: the same compiled evaluation, adapted to the spec's
 * resolution details (reasons, variants, error codes) and provider events. Errors are thrown as OpenFeature
 * errors, which the SDK turns into an ERROR reason with the caller's default (spec 1.4.10, 2.3.2).
 */
import {
  ErrorCode,
  FlagNotFoundError,
  GeneralError,
  InvalidContextError,
  OpenFeatureEventEmitter,
  ParseError,
  ProviderEvents,
  ProviderFatalError,
  ProviderNotReadyError,
  TargetingKeyMissingError,
  TypeMismatchError,
} from "@openfeature/server-sdk";
import type {
  EvaluationContext as OFContext,
  JsonValue as OFJson,
  Provider,
  ResolutionDetails,
  TrackingEventDetails,
} from "@openfeature/server-sdk";
import type { EvaluationContext, EvaluationResult, Variation } from "./flag-data.ts";
import { FlagsClient } from "./flags-client.ts";
import type { FlagsClientOptions } from "./flags-client.ts";

/**
 * OpenFeature contexts may hold Dates and nested values; Rampart targets flat attributes. Dates become epoch
 * milliseconds (so lt/gt compare them); nested objects and arrays are left out. A context that is already flat
 * is used as it is, without a copy.
 */
export function flattenContext(context: OFContext): EvaluationContext {
  let flat = true;
  for (const key in context) {
    const v = context[key];
    if (v !== null && typeof v === "object") {
      flat = false;
      break;
    }
  }
  if (flat) return context as EvaluationContext;
  const out: EvaluationContext = {};
  for (const key in context) {
    const v = context[key];
    if (v instanceof Date) out[key] = v.getTime();
    else if (v === null || typeof v !== "object") out[key] = v;
  }
  return out;
}

function toError(r: EvaluationResult): Error {
  const message = r.errorMessage ?? r.errorCode ?? "evaluation failed";
  switch (r.errorCode) {
    case "FLAG_NOT_FOUND":
      return new FlagNotFoundError(message);
    case "TYPE_MISMATCH":
      return new TypeMismatchError(message);
    case "PARSE_ERROR":
      return new ParseError(message);
    case "TARGETING_KEY_MISSING":
      return new TargetingKeyMissingError(message);
    case "INVALID_CONTEXT":
      return new InvalidContextError(message);
    default:
      return new GeneralError(message);
  }
}

export class RampartProvider implements Provider {
  readonly metadata = { name: "rampart" } as const;
  readonly runsOn = "server" as const;
  readonly events = new OpenFeatureEventEmitter();
  readonly client: FlagsClient;
  #owned: boolean;
  #readyTimeoutMs: number;

  /** Pass a FlagsClient to share it with code using the native API, or options to let the provider own one. */
  constructor(clientOrOptions: FlagsClient | FlagsClientOptions, options: { readyTimeoutMs?: number } = {}) {
    this.#owned = !(clientOrOptions instanceof FlagsClient);
    this.client = clientOrOptions instanceof FlagsClient ? clientOrOptions : new FlagsClient(clientOrOptions);
    this.#readyTimeoutMs = options.readyTimeoutMs ?? 10_000;
    this.client.on("change", (change) =>
      this.events.emit(ProviderEvents.ConfigurationChanged, { flagsChanged: change.changed, metadata: { version: change.version } }),
    );
    this.client.on("stale", (error) => this.events.emit(ProviderEvents.Stale, { message: error.message }));
    this.client.on("status", (status) => {
      if (status === "READY") this.events.emit(ProviderEvents.Ready);
      else if (status === "ERROR")
        this.events.emit(ProviderEvents.Error, { message: "the server refused the SDK token", errorCode: ErrorCode.PROVIDER_FATAL });
    });
  }

  async initialize(): Promise<void> {
    try {
      await this.client.ready(this.#readyTimeoutMs);
    } catch (err) {
      if (this.client.status === "ERROR") throw new ProviderFatalError((err as Error).message);
      throw err;
    }
  }

  async onClose(): Promise<void> {
    if (this.#owned) await this.client.close();
  }

  /** OpenFeature tracking API: a business event (`value` from the details), attributed to the variations the user was served. */
  track(trackingEventName: string, context: OFContext, details: TrackingEventDetails): void {
    this.client.track(trackingEventName, flattenContext(context), details.value === undefined ? {} : { value: details.value });
  }

  #resolve<T>(flagKey: string, defaultValue: T, context: OFContext): ResolutionDetails<T> {
    if (this.client.compiled === undefined) throw new ProviderNotReadyError("flag data not loaded yet");
    const r = this.client.detail(flagKey, flattenContext(context), defaultValue as Variation["value"]);
    if (r.errorCode !== undefined) throw toError(r);
    return { value: r.value as T, variant: r.variation, reason: r.reason, flagMetadata: { version: this.client.version ?? 0 } };
  }

  async resolveBooleanEvaluation(flagKey: string, defaultValue: boolean, context: OFContext): Promise<ResolutionDetails<boolean>> {
    return this.#resolve(flagKey, defaultValue, context);
  }

  async resolveStringEvaluation(flagKey: string, defaultValue: string, context: OFContext): Promise<ResolutionDetails<string>> {
    return this.#resolve(flagKey, defaultValue, context);
  }

  async resolveNumberEvaluation(flagKey: string, defaultValue: number, context: OFContext): Promise<ResolutionDetails<number>> {
    return this.#resolve(flagKey, defaultValue, context);
  }

  async resolveObjectEvaluation<T extends OFJson>(flagKey: string, defaultValue: T, context: OFContext): Promise<ResolutionDetails<T>> {
    return this.#resolve(flagKey, defaultValue, context);
  }
}
