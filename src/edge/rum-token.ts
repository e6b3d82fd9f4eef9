import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

/**
 * The release a page was served by, signed by the edge into the page's RUM tag, so a beacon is attributed to the
 * release that really served the page: a client can echo a token it was given, not make one up for another app or
 * release (a canary it never saw, say). `APP:RELEASE:ISSUED:SIG`, SIG an HMAC over the environment too.
 */
export interface RumAttribution {
  app: string;
  release: number;
  /** Epoch seconds the page was served. */
  issuedSec: number;
}

/** A page kept open (or restored from the back/forward cache) still reports for this long. */
export const RUM_TOKEN_MAX_AGE_SEC = 7 * 86_400;
const CLOCK_SKEW_SEC = 300;
const SIG_CHARS = 22;
const TOKEN = /^([A-Za-z0-9_-]{1,100}):(\d{1,9}):(\d{1,12}):([A-Za-z0-9_-]{22})$/;

function signature(key: Buffer, env: string, app: string, release: number, issuedSec: number): string {
  return createHmac("sha256", key).update(`${env}\n${app}\n${release}\n${issuedSec}`).digest("base64url").slice(0, SIG_CHARS);
}

export function signRumToken(key: Buffer, env: string, app: string, release: number, issuedSec: number): string {
  return `${app}:${release}:${issuedSec}:${signature(key, env, app, release, issuedSec)}`;
}

/** The attribution a token carries, or why it is refused (forged, for another environment, expired). */
export function verifyRumToken(key: Buffer, env: string, token: string, nowSec: number): RumAttribution | string {
  const match = TOKEN.exec(token);
  if (match === null) return "the token is malformed";
  const app = match[1] as string;
  const release = Number(match[2]);
  const issuedSec = Number(match[3]);
  const expected = Buffer.from(signature(key, env, app, release, issuedSec));
  const given = Buffer.from(match[4] as string);
  if (!timingSafeEqual(expected, given)) return "the token's signature does not match (not issued by this edge for this environment)";
  if (issuedSec > nowSec + CLOCK_SKEW_SEC) return "the token is issued in the future";
  if (nowSec - issuedSec > RUM_TOKEN_MAX_AGE_SEC) return "the token has expired (the page was served more than 7 days ago)";
  return { app, release, issuedSec };
}

export const RUM_KEY_FILE = "rum.key";

/**
 * The edge's signing key, kept in the data dir's run/ (mode 0600) so tokens stay valid across edge restarts and
 * every worker signs alike. Created by the primary before it forks its workers.
 */
export function ensureRumKey(runDir: string): Buffer {
  const path = join(runDir, RUM_KEY_FILE);
  if (!existsSync(path)) writeFileSync(path, randomBytes(32).toString("hex"), { mode: 0o600, flag: "wx" });
  return Buffer.from(readFileSync(path, "utf8").trim(), "hex");
}

/** A worker's key: the primary's file beside the control socket, or a process-local one (tests without a primary). */
export function workerRumKey(): Buffer {
  const socket = process.env.RAMPART_EDGE_SOCKET;
  const path = socket === undefined ? undefined : join(dirname(socket), RUM_KEY_FILE);
  if (path !== undefined && existsSync(path)) return Buffer.from(readFileSync(path, "utf8").trim(), "hex");
  return randomBytes(32);
}
