import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Clock } from "../shared/clock.ts";
import { RampartError } from "../shared/errors.ts";
import { type BundleLimits, defaultBundleLimits, unpackSource } from "./source-bundle.ts";
import type { UploadView } from "./source-bundle.types.ts";

/** An upload nobody deployed within this time is removed. */
const UPLOAD_TTL_MS = 3600_000;
const ID = /^up_[A-Za-z0-9_-]{22}$/;

/**
 * Source trees sent by `rampart deploy` from another machine: checked and unpacked into `DATA/uploads/<id>/`, where
 * a deploy naming the id snapshots them into an artifact like any local source, then removes them.
 */
export class SourceUploads {
  readonly #root: string;
  readonly #clock: Clock;
  readonly #limits: BundleLimits;

  constructor(deps: { dataDir: string; clock: Clock; limits?: BundleLimits }) {
    this.#root = join(deps.dataDir, "uploads");
    this.#clock = deps.clock;
    this.#limits = deps.limits ?? defaultBundleLimits;
  }

  get limits(): BundleLimits {
    return this.#limits;
  }

  async accept(gzip: Buffer, claimedDigest: string | undefined): Promise<UploadView> {
    if (!claimedDigest || !/^sha256-[0-9a-f]{64}$/.test(claimedDigest)) {
      throw new RampartError(
        "invalid_bundle",
        "X-Rampart-Artifact-Digest must name the artifact digest the bundle describes (sha256-<64 hex>)",
        {
          hint: "rampart deploy APP --env ENV --source DIR packs and sends it",
        },
      );
    }
    await this.sweep();
    const upload = `up_${randomBytes(16).toString("base64url")}`;
    const dir = join(this.#root, upload);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    try {
      const result = await unpackSource(gzip, dir, this.#limits);
      if (result.digest !== claimedDigest)
        throw new RampartError(
          "invalid_bundle",
          `the bundle describes artifact ${result.digest}, not ${claimedDigest} as its header says`,
          { hint: "deploy again; if it persists, the upload was altered on the way" },
        );
      return { upload, ...result };
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
  }

  /** The unpacked tree of an upload, for the deploy that names it. */
  dirOf(upload: string): string {
    const dir = join(this.#root, upload);
    if (!ID.test(upload) || !existsSync(dir)) {
      throw new RampartError(
        "not_found",
        `upload ${JSON.stringify(upload.slice(0, 40))} does not exist (uploads are kept for an hour and used once)`,
        { hint: "deploy again: rampart deploy APP --env ENV --source DIR" },
      );
    }
    return dir;
  }

  async discard(upload: string): Promise<void> {
    if (ID.test(upload)) await rm(join(this.#root, upload), { recursive: true, force: true });
  }

  async sweep(): Promise<void> {
    const names = await readdir(this.#root).catch(() => []);
    const now = this.#clock.now();
    for (const name of names) {
      const info = await stat(join(this.#root, name)).catch(() => null);
      if (info && now - info.mtimeMs > UPLOAD_TTL_MS) await rm(join(this.#root, name), { recursive: true, force: true });
    }
  }
}
