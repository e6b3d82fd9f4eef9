import type { FollowHooks } from "../client/api-client.ts";

/**
 * What `--follow` prints on stderr while the control plane is away (a restart, an upgrade): one short line per
 * attempt, and one when the stream is back. stdout keeps only the followed lines, so pipes stay clean.
 */
export function followNotices(what: string, write: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): FollowHooks {
  return {
    onReconnecting: ({ attempt, delayMs, reason }) =>
      write(`rampart: ${what} interrupted (${reason}); reconnecting in ${(delayMs / 1000).toFixed(1)} s (attempt ${attempt})`),
    onReconnected: ({ lastEventId }) =>
      write(`rampart: reconnected; ${lastEventId === undefined ? "following" : `resuming after ${lastEventId}`}`),
  };
}
