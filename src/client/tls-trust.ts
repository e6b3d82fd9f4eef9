import { X509Certificate } from "node:crypto";
import { checkServerIdentity, type PeerCertificate, rootCertificates } from "node:tls";
import { Agent, fetch as undiciFetch } from "undici";

/** How the CLI trusts an API's certificate beyond the system's CAs. */
export interface TlsTrust {
  /** PEM: a CA certificate, or the API's own (self-signed) certificate. Trusted beside the system CAs. */
  ca: string;
  /**
   * Trust exactly this certificate whatever host name it names (the CLI on the API's machine reaches it on
   * 127.0.0.1, which a certificate for api.example.com does not list). Set only for the certificate file the
   * data dir's credentials name.
   */
  pinned?: boolean;
}

/** The part of fetch the API client uses (so the global fetch and undici's, whose types differ, both fit). */
export interface FetchInit {
  method: string;
  headers: Record<string, string>;
  body?: string | Uint8Array | undefined;
  signal?: AbortSignal | undefined;
}
export type FetchFunction = (url: string, init: FetchInit) => Promise<Response>;

/** The global fetch, called as a function (a browser refuses it called as another object's method: "Illegal invocation"). */
export const defaultFetch: FetchFunction = (url, init) => fetch(url, init);

/** A fetch whose TLS connections trust `trust.ca` as well as the system CAs (undici's fetch with its own Agent). */
export function trustingFetch(trust: TlsTrust): FetchFunction {
  const fingerprint = trust.pinned ? new X509Certificate(trust.ca).fingerprint256 : null;
  const agent = new Agent({
    connect: {
      ca: [...rootCertificates, trust.ca],
      checkServerIdentity: (host: string, cert: PeerCertificate) =>
        fingerprint !== null && cert.fingerprint256 === fingerprint ? undefined : checkServerIdentity(host, cert),
    },
  });
  return async (url, init) => {
    const response: Response = await undiciFetch(url, { ...init, dispatcher: agent });
    return response;
  };
}

const UNTRUSTED_CODES = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "CERT_UNTRUSTED",
]);

/** True when a fetch failed because the server's certificate was not trusted. */
export function isUntrustedCertificate(error: unknown): boolean {
  for (let cause: unknown = error; cause instanceof Error; cause = cause.cause) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === "string" && UNTRUSTED_CODES.has(code)) return true;
  }
  return false;
}
