import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { secretsKeyPath } from "../secrets/secret-keyring.ts";
import { RampartError } from "../shared/errors.ts";

/**
 * Signed action links (`/api/v1/actions/<token>`) that notifications carry: acknowledge an alert, roll back a
 * release, turn a flag off. A token is single-purpose (HMAC over action, target, expiry and a nonce), expires, and
 * grants nothing by itself: the clicker must be logged in and hold the permission the action needs.
 */
export const linkActions = ["ack", "rollback", "flag_off"] as const;
export type LinkAction = (typeof linkActions)[number];

function isLinkAction(value: string | undefined): value is LinkAction {
  return linkActions.some((a) => a === value);
}

export interface LinkClaim {
  action: LinkAction;
  /** ack: an alert fingerprint; rollback: ENV/APP; flag_off: ENV/FLAG. */
  target: string;
  expiresAt: number;
  nonce: string;
}

export const LINK_TTL_MS = 3_600_000;
/** Domain separation: this key signs nothing else, but a token must never verify as anything but an action link. */
const CONTEXT = "rampart-action-link-v1\n";

const b64 = (b: Buffer | string) => Buffer.from(b).toString("base64url");

export class ActionLinkSigner {
  readonly #load: () => Buffer;
  #key: Buffer | undefined;

  /** `key` is read at first use, so a platform that never sends a link never creates a key file. */
  constructor(key: () => Buffer) {
    this.#load = key;
  }

  sign(action: LinkAction, target: string, now: number, ttlMs = LINK_TTL_MS): string {
    const payload = b64([action, target, String(now + ttlMs), b64(randomBytes(12))].join("|"));
    return `${payload}.${this.#mac(payload)}`;
  }

  /** The claim a token makes, once its signature and expiry hold; throws action_link_invalid / action_link_expired. */
  verify(token: string, now: number): LinkClaim {
    const [payload = "", mac = "", ...rest] = token.split(".");
    const expected = Buffer.from(this.#mac(payload));
    const given = Buffer.from(mac);
    if (rest.length > 0 || given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid();
    const [action, target, expiry, nonce, ...extra] = Buffer.from(payload, "base64url").toString("utf8").split("|");
    const expiresAt = Number(expiry);
    if (extra.length > 0 || !isLinkAction(action) || !target || !nonce || !Number.isSafeInteger(expiresAt)) throw invalid();
    if (now >= expiresAt)
      throw new RampartError("action_link_expired", `this link expired at ${new Date(expiresAt).toISOString()}`, {
        hint: "act from the CLI instead (rampart alerts ack FINGERPRINT, rampart rollback APP --env ENV, rampart flags kill FLAG --env ENV)",
      });
    return { action, target, expiresAt, nonce };
  }

  #mac(payload: string): string {
    if (!this.#key) {
      const key = this.#load();
      if (key.length < 32)
        throw new Error("the action link key must be at least 32 bytes (RAMPART_ACTION_LINK_KEY: base64 of 32 random bytes)");
      this.#key = key;
    }
    return createHmac("sha256", this.#key)
      .update(CONTEXT + payload)
      .digest("base64url");
  }
}

function invalid(): RampartError {
  return new RampartError(
    "action_link_invalid",
    "this action link is not one Rampart signed (altered, truncated or from another installation)",
    {
      hint: "use the link from the notification as sent, or act from the CLI (rampart alerts ack FINGERPRINT)",
    },
  );
}

/**
 * The signing key: RAMPART_ACTION_LINK_KEY (base64, 32+ bytes) when set, else `action-links.key` beside the secrets
 * key file (~/.config/rampart/), created 0600 at first use. Outside the data dir, so a copied backup mints no links.
 */
export function loadActionLinkKey(env: Readonly<Record<string, string | undefined>>): Buffer {
  if (env.RAMPART_ACTION_LINK_KEY) return Buffer.from(env.RAMPART_ACTION_LINK_KEY, "base64");
  const path = join(dirname(secretsKeyPath({ ...env })), "action-links.key");
  try {
    return Buffer.from(readFileSync(path, "utf8").trim(), "base64");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const key = randomBytes(32);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, `${key.toString("base64")}\n`, { mode: 0o600, flag: "wx" });
  chmodSync(path, 0o600);
  return key;
}
