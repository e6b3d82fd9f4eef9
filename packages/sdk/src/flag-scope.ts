/**
 * A request's view of the flags: evaluates like the client and remembers which variation each flag served,
 * so the app can tell the edge (`x-rampart-flags: checkout=v2,reco=on`) and get health per variant without
 * instrumenting anything. Two small arrays per request; the header string is built only when asked for.
 */
import type { EvaluationContext, EvaluationResult, JsonValue, Variation } from "./flag-data.ts";
import { FLAG_VARIANT_HEADER } from "./flag-data.ts";

interface Evaluator {
  detail(key: string, context: EvaluationContext, defaultValue?: Variation["value"]): EvaluationResult;
}

/** Anything with setHeader: node's ServerResponse, Express, Fastify's raw reply. */
export interface HeaderTarget {
  setHeader(name: string, value: string): unknown;
}

const SAFE = /^[A-Za-z0-9._~:-]*$/;
const encode = (text: string) => (SAFE.test(text) ? text : encodeURIComponent(text));
const EMPTY: EvaluationContext = {};

export class FlagScope {
  readonly context: EvaluationContext;
  #client: Evaluator;
  #keys: string[] = [];
  #variations: string[] = [];

  constructor(client: Evaluator, context: EvaluationContext = EMPTY) {
    this.#client = client;
    this.context = context;
  }

  detail(key: string, defaultValue?: Variation["value"], context: EvaluationContext = this.context): EvaluationResult {
    const r = this.#client.detail(key, context, defaultValue);
    if (r.errorCode === undefined) this.#record(r.key, r.variation);
    return r;
  }

  boolean(key: string, defaultValue: boolean, context?: EvaluationContext): boolean {
    const r = this.detail(key, defaultValue, context);
    return r.errorCode === undefined ? (r.value as boolean) : defaultValue;
  }

  string(key: string, defaultValue: string, context?: EvaluationContext): string {
    const r = this.detail(key, defaultValue, context);
    return r.errorCode === undefined ? (r.value as string) : defaultValue;
  }

  number(key: string, defaultValue: number, context?: EvaluationContext): number {
    const r = this.detail(key, defaultValue, context);
    return r.errorCode === undefined ? (r.value as number) : defaultValue;
  }

  json<T extends JsonValue>(key: string, defaultValue: T, context?: EvaluationContext): T {
    const r = this.detail(key, defaultValue, context);
    return r.errorCode === undefined ? (r.value as T) : defaultValue;
  }

  /** Records a variation served some other way (e.g. through the OpenFeature client). The last one per flag wins. */
  record(key: string, variation: string): void {
    this.#record(key, variation);
  }

  #record(key: string, variation: string): void {
    const keys = this.#keys;
    for (let i = 0; i < keys.length; i++) {
      if (keys[i] === key) {
        this.#variations[i] = variation;
        return;
      }
    }
    keys.push(key);
    this.#variations.push(variation);
  }

  /** The `x-rampart-flags` value, e.g. "checkout=v2,reco=on"; "" when nothing was evaluated. */
  header(): string {
    let out = "";
    for (let i = 0; i < this.#keys.length; i++) {
      if (i > 0) out += ",";
      out += `${encode(this.#keys[i]!)}=${encode(this.#variations[i]!)}`;
    }
    return out;
  }

  /** Sets the header on a response (before its head is sent); does nothing when no flag was evaluated. */
  apply(response: HeaderTarget): void {
    if (this.#keys.length > 0) response.setHeader(FLAG_VARIANT_HEADER, this.header());
  }
}
