import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { RampartError } from "../shared/errors.ts";

/** The key that signs checkpoints, and its public half (all that verification needs). */
export interface AuditKey {
  path: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** PEM (SPKI) of the public key, as recorded in the data dir. */
  publicPem: string;
}

/**
 * Where the signing key lives: RAMPART_AUDIT_KEY_FILE, else $XDG_CONFIG_HOME/rampart/audit-key, else
 * ~/.config/rampart/audit-key. Never in the data dir: whoever can rewrite the database (a copied data dir, a
 * restored backup, a compromised app with write access to it) must not be able to sign a forged chain head.
 */
export function auditKeyPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.RAMPART_AUDIT_KEY_FILE) return resolve(env.RAMPART_AUDIT_KEY_FILE);
  const config = env.XDG_CONFIG_HOME ? resolve(env.XDG_CONFIG_HOME) : join(homedir(), ".config");
  return join(config, "rampart", "audit-key");
}

/** Reads the Ed25519 key at `path`, creating it (0600, its folder 0700) on first start. */
export function loadOrCreateAuditKey(path: string, dataDir: string): AuditKey {
  const inside = relative(resolve(dataDir), path);
  if (!inside.startsWith("..") && !inside.startsWith("/")) {
    throw new RampartError(
      "audit_key",
      `the audit key file ${path} is inside the data dir ${dataDir}: the key that signs checkpoints must be kept apart from the log it protects`,
      {
        hint: "set RAMPART_AUDIT_KEY_FILE to a path outside the data dir (default ~/.config/rampart/audit-key) and run rampart up again",
      },
    );
  }
  if (!existsSync(path)) create(path);
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new RampartError(
      "audit_key",
      `the audit key file ${path} can be read by others (mode ${mode.toString(8)}): it must be readable by its owner only`,
      {
        hint: `run chmod 600 ${path} and run rampart up again`,
      },
    );
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(readFileSync(path, "utf8"));
  } catch (error) {
    throw new RampartError(
      "audit_key",
      `the audit key file ${path} is not a PEM private key (${error instanceof Error ? error.message : String(error)})`,
      {
        hint: "restore it from your backup, or set RAMPART_AUDIT_KEY_FILE to the right file",
      },
    );
  }
  if (privateKey.asymmetricKeyType !== "ed25519") {
    throw new RampartError("audit_key", `the audit key file ${path} holds a ${String(privateKey.asymmetricKeyType)} key, not Ed25519`, {
      hint: "restore the original key, or set RAMPART_AUDIT_KEY_FILE to it",
    });
  }
  const publicKey = createPublicKey(privateKey);
  return { path, privateKey, publicKey, publicPem: publicKey.export({ type: "spki", format: "pem" }).toString() };
}

function create(path: string): void {
  const { privateKey } = generateKeyPairSync("ed25519");
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    // `wx`: two platforms starting at once must not overwrite each other's fresh key.
    writeFileSync(path, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600, flag: "wx" });
    chmodSync(path, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return;
    throw new RampartError(
      "audit_key",
      `cannot create the audit key file ${path} (${error instanceof Error ? error.message : String(error)})`,
      {
        hint: "make its folder writable for the user running rampart up, or set RAMPART_AUDIT_KEY_FILE to a writable path outside the data dir",
      },
    );
  }
}
