import type { PlanChange } from "./plan.types.ts";

/**
 * Webhook and chat URLs (alert receivers, on-call channels) carry their credential in the path or query, and a plan
 * is shown to anyone who may read (its event too): a URL keeps its scheme and host, the rest is masked.
 */
export function redactUrls(value: unknown): unknown {
  if (typeof value === "string") return redactUrl(value);
  if (Array.isArray(value)) return value.map(redactUrls);
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactUrls(v)]));
  return value;
}

function redactUrl(text: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return text;
  try {
    const url = new URL(text);
    const bare = url.pathname === "/" && url.search === "" && url.username === "" && url.password === "";
    return bare ? text : `${url.protocol}//${url.host}/…`;
  } catch {
    return text;
  }
}

export function redactChange(change: PlanChange): PlanChange {
  return {
    ...change,
    ...(change.before === undefined ? {} : { before: redactUrls(change.before) }),
    ...(change.after === undefined ? {} : { after: redactUrls(change.after) }),
  };
}
