import { readFileSync, statSync } from "node:fs";
import type { Server as NetServer, Socket } from "node:net";
import { createSecureContext, type SecureContextOptions } from "node:tls";
import { rawResponse } from "./client-errors.ts";
import { errorMessage } from "../shared/errors.ts";

export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

/** Reads and checks a certificate/key pair: throws with a reason when the files are unreadable or do not match. */
export function loadKeyPair(files: TlsFiles): SecureContextOptions {
  const options: SecureContextOptions = { cert: readFileSync(files.certFile), key: readFileSync(files.keyFile) };
  // Building a context is what validates the PEM and that the key belongs to the certificate.
  createSecureContext(options);
  return options;
}

const POLL_MS = 1_000;

/**
 * Watches a certificate and key by polling their mtime and size (fs.watch misses atomic renames on some
 * file systems; a stat a second is nothing). A changed pair that loads is handed to `apply`
 * (server.setSecureContext: new handshakes use it, open connections keep theirs). A pair that does not load,
 * for example while only one of the two files has been replaced, keeps the old context and logs why, once per change.
 */
export class TlsWatcher {
  readonly files: TlsFiles;
  private readonly apply: (options: SecureContextOptions) => void;
  private readonly log: (line: string) => void;
  private stamp: string;
  private failedStamp = "";
  private readonly timer: NodeJS.Timeout;
  private readonly label: string;

  /** `label` starts each log line (the edge's, or the API's). */
  constructor(
    files: TlsFiles,
    apply: (options: SecureContextOptions) => void,
    log: (line: string) => void,
    pollMs = POLL_MS,
    label = "edge",
  ) {
    this.label = label;
    this.files = files;
    this.apply = apply;
    this.log = log;
    this.stamp = fileStamp(files);
    this.timer = setInterval(() => this.check(), pollMs);
    this.timer.unref();
  }

  check(): void {
    const stamp = fileStamp(this.files);
    if (stamp === this.stamp || stamp === this.failedStamp) return;
    try {
      this.apply(loadKeyPair(this.files));
      this.stamp = stamp;
      this.failedStamp = "";
      this.log(`${this.label}: reloaded TLS certificate ${this.files.certFile}`);
    } catch (error) {
      this.failedStamp = stamp;
      this.log(
        `${this.label}: kept the previous TLS certificate; ${this.files.certFile} / ${this.files.keyFile} did not load: ${errorMessage(error)}`,
      );
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

function fileStamp(files: TlsFiles): string {
  return `${statStamp(files.certFile)}|${statStamp(files.keyFile)}`;
}

function statStamp(path: string): string {
  try {
    const s = statSync(path);
    return `${s.mtimeMs}:${s.size}:${s.ino}`;
  } catch {
    return "missing";
  }
}

/** The first byte of every TLS record that opens a connection (a handshake record, RFC 8446 §5.1). */
const TLS_HANDSHAKE = 0x16;

/**
 * Makes a TLS server answer plain HTTP on its port with a 400, as nginx does ("The plain HTTP request was sent
 * to HTTPS port"), instead of closing the connection without a word. The first bytes of each connection are
 * read before the TLS layer takes it: a handshake goes on to TLS (Node's TLS socket reads what was read ahead),
 * anything else gets the answer. Call right after creating the server, before other 'connection' listeners.
 */
export function answerPlainHttp(server: NetServer, firstByteTimeoutMs: () => number): void {
  const tlsListeners = server.listeners("connection") as ((socket: Socket) => void)[];
  server.removeAllListeners("connection");
  server.on("connection", (socket: Socket) => {
    const onError = (): void => void socket.destroy();
    socket.on("error", onError);
    // A connection that never sends anything is held no longer than one that sends headers slowly.
    const timer = setTimeout(() => socket.destroy(), firstByteTimeoutMs());
    timer.unref();
    socket.once("close", () => clearTimeout(timer));
    socket.once("data", (chunk: Buffer) => {
      clearTimeout(timer);
      socket.pause();
      if (chunk[0] === TLS_HANDSHAKE) {
        socket.off("error", onError);
        socket.unshift(chunk);
        for (const listener of tlsListeners) listener.call(server, socket);
        return;
      }
      socket.end(rawResponse(400, "Bad Request", `The plain HTTP request was sent to HTTPS port: this port speaks TLS, use https://`));
      setTimeout(() => socket.destroy(), 1_000).unref();
    });
  });
}
