import { createServer, IncomingMessage, type Server } from "node:http";
import type { CompiledEnvironment, CompiledTable } from "./compiled-table.ts";
import { EdgeResponse } from "./proxy-exchange.ts";
import { errorMessage } from "../shared/errors.ts";

export interface ListeningAddress {
  env: string;
  bind: string;
  port: number;
}

export interface ListenError {
  env: string;
  port: number;
  message: string;
}

export type RequestHandler = (env: CompiledEnvironment, req: IncomingMessage, res: EdgeResponse) => void;

interface Listener {
  server: Server<typeof IncomingMessage, typeof EdgeResponse>;
  /** Swapped synchronously for every listener when a table applies, so a request sees one table. */
  env: CompiledEnvironment;
  closing: boolean;
}

/**
 * One HTTP server per environment address (bind:port) in this worker, reconciled against each table. Keyed by
 * address rather than name, so renaming an environment keeps its socket and moving one frees the old.
 */
export class ListenerSet {
  private readonly listeners = new Map<string, Listener>();
  private readonly handler: RequestHandler;
  private readonly drainMs: number;

  constructor(handler: RequestHandler, drainMs = 10_000) {
    this.handler = handler;
    this.drainMs = drainMs;
  }

  async reconcile(table: CompiledTable): Promise<{ listening: ListeningAddress[]; errors: ListenError[] }> {
    const wanted = new Map<string, CompiledEnvironment>();
    for (const env of table.environments) wanted.set(addressKey(env.bind, env.port), env);
    const toOpen: CompiledEnvironment[] = [];
    for (const [key, env] of wanted) {
      const listener = this.listeners.get(key);
      if (listener === undefined) toOpen.push(env);
      else listener.env = env;
    }
    for (const [key, listener] of this.listeners) {
      if (wanted.has(key)) continue;
      this.listeners.delete(key);
      this.close(listener);
    }
    const errors: ListenError[] = [];
    await Promise.all(
      toOpen.map(async (env) => {
        try {
          this.listeners.set(addressKey(env.bind, env.port), await this.open(env));
        } catch (error) {
          errors.push({ env: env.name, port: env.port, message: errorMessage(error) });
        }
      }),
    );
    return { listening: this.addresses(), errors };
  }

  addresses(): ListeningAddress[] {
    return [...this.listeners.values()].map((l) => ({ env: l.env.name, bind: l.env.bind, port: l.env.port }));
  }

  /** Stops accepting everywhere; in-flight requests finish (the caller waits for them). */
  closeAll(): void {
    for (const listener of this.listeners.values()) this.close(listener);
    this.listeners.clear();
  }

  private open(env: CompiledEnvironment): Promise<Listener> {
    const server = createServer({ ServerResponse: EdgeResponse });
    const listener: Listener = { server, env, closing: false };
    server.on("request", (req: IncomingMessage, res: EdgeResponse) => {
      // A closing listener tells keep-alive clients to reconnect (to the new listener or edge).
      if (listener.closing) res.shouldKeepAlive = false;
      this.handler(listener.env, req, res);
    });
    return new Promise((resolve, reject) => {
      const onError = (error: Error): void => {
        server.off("listening", onListening);
        reject(error);
      };
      const onListening = (): void => {
        server.off("error", onError);
        server.on("error", (error) => process.stderr.write(`edge: listener ${env.bind}:${env.port}: ${errorMessage(error)}\n`));
        resolve(listener);
      };
      server.once("error", onError);
      server.once("listening", onListening);
      // SO_REUSEPORT: every worker binds the same address and the kernel spreads new connections over
      // them, so no process sits between the client and the worker. A process that did not ask for it
      // (another server on the port) still makes this fail with EADDRINUSE.
      server.listen({ host: env.bind, port: env.port, reusePort: true });
    });
  }

  private close(listener: Listener): void {
    listener.closing = true;
    const server = listener.server;
    server.close();
    server.closeIdleConnections();
    // Connections still busy after the drain window are cut; unref so this timer never holds the process.
    setTimeout(() => server.closeAllConnections(), this.drainMs).unref();
  }
}

function addressKey(bind: string, port: number): string {
  return `${bind}|${port}`;
}
