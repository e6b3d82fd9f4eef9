import { watch, type FSWatcher } from "node:fs";
import type { Server as HttpServer } from "node:http";
import { dirname } from "node:path";
import { createServer, type Server as TlsServer, type TLSSocket } from "node:tls";
import { isIP } from "node:net";
import { answerPlainHttp, loadKeyPair, TlsWatcher, type TlsFiles } from "../edge/tls-context.ts";
import { RampartError, errorMessage } from "../shared/errors.ts";
import { logger } from "../shared/logger.ts";

/** 127.0.0.0/8, ::1 and localhost: only this machine can connect, so plain HTTP is fine there. */
export function isLoopback(host: string): boolean {
  if (host === "localhost" || host === "::1") return true;
  return isIP(host) === 4 && host.startsWith("127.");
}

/**
 * Beyond loopback the API speaks TLS: a bearer token or session cookie sent in the clear can be read by anyone on
 * the path. `api.insecure: true` is the explicit way out (a TLS-terminating proxy on the same host, a lab network).
 */
export function assertSafeListen(host: string, port: number, tls: TlsFiles | null, insecure: boolean, manifest: string): void {
  if (tls !== null || insecure || isLoopback(host)) return;
  throw new RampartError(
    "api_needs_tls",
    `refusing to serve the API on ${host}:${port} without TLS: tokens and session cookies would cross the network in the clear`,
    {
      hint: `give it a certificate in ${manifest} (api: { tls: { cert: FILE, key: FILE } }), or listen on loopback (--api 127.0.0.1:${port}), or set api.insecure: true if a TLS proxy on this host fronts it`,
    },
  );
}

/**
 * A TLS listener in front of the API's HTTP server: each decrypted connection is handed to that server (as its
 * own 'connection'), so Fastify keeps its plain HTTP server type and every route, hook and stream is unchanged.
 * The certificate and key are reloaded when they change (fs.watch for promptness, a 1 s poll for file systems
 * where watching misses renames) with setSecureContext: new handshakes get the new pair, open connections keep
 * theirs, none is dropped.
 */
export class ApiTlsListener {
  readonly server: TlsServer;
  readonly #watcher: TlsWatcher;
  readonly #fsWatchers: FSWatcher[] = [];
  readonly #sockets = new Set<TLSSocket>();

  constructor(files: TlsFiles, http: HttpServer, pollMs?: number) {
    this.server = createServer({ ...loadKeyPair(files), ALPNProtocols: ["http/1.1"] }, (socket) => {
      this.#sockets.add(socket);
      socket.once("close", () => this.#sockets.delete(socket));
      http.emit("connection", socket);
    });
    // Plain HTTP to the TLS port is answered with a 400 that says to use https://, not a silent close.
    answerPlainHttp(this.server, () => http.headersTimeout || 60_000);
    this.server.on("tlsClientError", () => undefined);
    this.#watcher = new TlsWatcher(
      files,
      (pair) => this.server.setSecureContext(pair),
      (line) => logger.info(line),
      pollMs,
      "api",
    );
    for (const dir of new Set([dirname(files.certFile), dirname(files.keyFile)])) {
      try {
        const watcher = watch(dir, { persistent: false }, () => this.#watcher.check());
        watcher.on("error", () => watcher.close());
        this.#fsWatchers.push(watcher);
      } catch (error) {
        // The poll still notices the change within a second.
        logger.warn(`api: cannot watch ${dir} for certificate changes (${errorMessage(error)}); polling it every second`);
      }
    }
  }

  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen({ host, port }, () => {
        this.server.off("error", reject);
        const address = this.server.address();
        resolve(typeof address === "object" && address ? address.port : port);
      });
    });
  }

  async close(): Promise<void> {
    this.#watcher.stop();
    for (const watcher of this.#fsWatchers) watcher.close();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }
}
