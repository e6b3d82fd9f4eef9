import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { RampartError } from "../shared/errors.ts";
import { writeFileAtomicSync } from "../shared/atomic-file.ts";
import { KEY_BYTES, keyId, newKey } from "./secret-crypto.ts";

/** A key-encryption key: wraps the per-environment data keys, never a value itself. */
export interface Kek {
  id: string;
  key: Buffer;
  /** Where it came from, for error messages (a path or the variable's name; never the key). */
  origin: string;
}

export interface KeyringOptions {
  /** RAMPART_SECRETS_KEY, RAMPART_SECRETS_KEY_FILE, XDG_CONFIG_HOME, HOME are read from here. */
  env: Record<string, string | undefined>;
}

/** ~/.config/rampart/secrets.key (XDG_CONFIG_HOME honoured), or RAMPART_SECRETS_KEY_FILE. Outside the data dir on purpose. */
export function secretsKeyPath(env: Record<string, string | undefined>): string {
  if (env.RAMPART_SECRETS_KEY_FILE) return resolve(env.RAMPART_SECRETS_KEY_FILE);
  const config = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), ".config");
  return join(config, "rampart", "secrets.key");
}

/**
 * The key-encryption key, kept outside the database and the data dir: a backup of the data dir alone cannot
 * decrypt anything. From RAMPART_SECRETS_KEY (base64) when set, else from the key file, created 0600 at first use.
 * During `rotate-key` the old key stays beside it as `<file>.previous` and the new one is written as `<file>.next`
 * before any data key is rewrapped, so whichever step a crash interrupts, some file still opens every data key.
 */
export class SecretKeyring {
  readonly #env: Record<string, string | undefined>;

  constructor(options: KeyringOptions) {
    this.#env = options.env;
  }

  get path(): string {
    return secretsKeyPath(this.#env);
  }

  get fromEnvironment(): boolean {
    return Boolean(this.#env.RAMPART_SECRETS_KEY);
  }

  /** Where the key is looked for, in words for error messages. */
  describe(): string {
    return this.fromEnvironment ? "RAMPART_SECRETS_KEY" : this.path;
  }

  /** The current key; creates the key file when there is none and `create` (first secret ever set). */
  current(create: boolean): Kek | null {
    if (this.fromEnvironment) return parseKey(this.#env.RAMPART_SECRETS_KEY ?? "", "RAMPART_SECRETS_KEY");
    const path = this.path;
    if (existsSync(path)) return readKeyFile(path);
    if (!create) return null;
    try {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      writeKeyFile(path, newKey());
    } catch (error) {
      throw new RampartError("secrets_key_unreadable", `cannot create the secrets key file ${path}: ${(error as Error).message}`, {
        hint: "make its directory writable by the user running rampart up, or point RAMPART_SECRETS_KEY_FILE elsewhere",
      });
    }
    return readKeyFile(path);
  }

  /** Every key that may have wrapped a data key: the current one, and a rotation's .previous / .next if left behind. */
  candidates(): Kek[] {
    const keys: Kek[] = [];
    const current = this.current(false);
    if (current) keys.push(current);
    if (!this.fromEnvironment) {
      for (const suffix of [".previous", ".next"]) {
        const path = `${this.path}${suffix}`;
        if (existsSync(path)) keys.push(readKeyFile(path));
      }
    }
    return keys;
  }

  /**
   * Rotation, step by step: the old key is copied to .previous, a new key written to .next, `rewrap` moves every
   * data key to it (one transaction), then .next becomes the key file and .previous is removed.
   */
  async rotate(rewrap: (from: Kek[], to: Kek) => Promise<void>): Promise<{ from: string; to: string }> {
    if (this.fromEnvironment) {
      throw new RampartError(
        "secrets_key_in_environment",
        "the key-encryption key comes from RAMPART_SECRETS_KEY, which Rampart cannot rewrite",
        {
          hint: "put it in a key file instead (RAMPART_SECRETS_KEY_FILE, or unset RAMPART_SECRETS_KEY to use ~/.config/rampart/secrets.key), restart rampart up, then run rampart secrets rotate-key",
        },
      );
    }
    const path = this.path;
    const old = this.current(true);
    if (!old) throw new Error("unreachable: current(true) creates the key");
    writeKeyFile(`${path}.previous`, old.key);
    const next = newKey();
    writeKeyFile(`${path}.next`, next);
    const to = readKeyFile(`${path}.next`);
    await rewrap(this.candidates(), to);
    renameSync(`${path}.next`, path);
    rmSync(`${path}.previous`, { force: true });
    return { from: old.id, to: to.id };
  }
}

function writeKeyFile(path: string, key: Buffer): void {
  writeFileAtomicSync(path, `${key.toString("base64")}\n`, 0o600);
  // The umask may have narrowed it further, never widened; make it exactly 0600.
  chmodSync(path, 0o600);
}

function readKeyFile(path: string): Kek {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new RampartError("secrets_key_unreadable", `cannot read the secrets key file ${path}: ${(error as Error).message}`, {
      hint: "check its owner and permissions (it must be readable by the user running rampart up, mode 0600)",
    });
  }
  return parseKey(text, path);
}

function parseKey(text: string, origin: string): Kek {
  const key = Buffer.from(text.trim(), "base64");
  if (key.length !== KEY_BYTES || key.toString("base64") !== text.trim()) {
    throw new RampartError(
      "secrets_key_unreadable",
      `${origin} does not hold a key: expected ${KEY_BYTES} random bytes in base64 (44 characters)`,
      {
        hint: "restore the key file from your backup (or set RAMPART_SECRETS_KEY to its content); `openssl rand -base64 32` makes a new one only for a data dir with no secrets yet",
      },
    );
  }
  return { id: keyId(key), key, origin };
}
