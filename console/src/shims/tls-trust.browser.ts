// The browser's stand-in for src/client/tls-trust.ts (package.json "imports" maps "#tls-trust" here under the
// "browser" condition): the console reaches the API on the page's origin, trusting what the browser trusts.
export interface TlsTrust {
  ca: string;
  pinned?: boolean;
}

export interface FetchInit {
  method: string;
  headers: Record<string, string>;
  body?: string | Uint8Array | undefined;
  signal?: AbortSignal | undefined;
}
export type FetchFunction = (url: string, init: FetchInit) => Promise<Response>;

export const defaultFetch: FetchFunction = (url, init) =>
  fetch(url, {
    ...init,
    // A copy over a plain ArrayBuffer: the DOM's BodyInit takes no view of a shared buffer.
    body: init.body === undefined || typeof init.body === "string" ? init.body : new Uint8Array(init.body),
  });

export function trustingFetch(_trust: TlsTrust): FetchFunction {
  throw new Error("a custom TLS trust is not available in the browser: the browser trusts the API's certificate itself");
}

export function isUntrustedCertificate(_error: unknown): boolean {
  return false;
}
