import { createHmac, hkdfSync, timingSafeEqual } from "node:crypto";

const TOKEN = /^hb_[A-Za-z0-9_-]{43}$/;

/**
 * A ping URL per heartbeat, as healthchecks.io gives one per check: its last segment is an HMAC of the heartbeat's
 * env, app and name, so a cron job can report in with nothing else, and what it holds can do exactly that (no API
 * token with deploy on a job's host). The key is derived from the platform's link-signing key (HKDF, its own
 * label), so no new key file; rotating that key changes every URL.
 */
export class HeartbeatUrls {
  readonly #load: () => Buffer;
  #key: Buffer | undefined;

  /** `signingKey` is read at first use. */
  constructor(signingKey: () => Buffer) {
    this.#load = signingKey;
  }

  token(env: string, app: string, name: string): string {
    return `hb_${createHmac("sha256", this.#keyOnce()).update(`${env}\u0000${app}\u0000${name}`).digest("base64url")}`;
  }

  path(env: string, app: string, name: string): string {
    const enc = encodeURIComponent;
    return `/api/v1/heartbeats/${enc(env)}/${enc(app)}/${enc(name)}/${this.token(env, app, name)}`;
  }

  /** Constant time; a token of the wrong shape is simply not valid. */
  verify(env: string, app: string, name: string, token: string): boolean {
    if (!TOKEN.test(token)) return false;
    return timingSafeEqual(Buffer.from(token), Buffer.from(this.token(env, app, name)));
  }

  #keyOnce(): Buffer {
    this.#key ??= Buffer.from(hkdfSync("sha256", this.#load(), Buffer.alloc(0), "rampart heartbeat urls v1", 32));
    return this.#key;
  }
}
