import { readFileSync, writeFileSync } from "node:fs";

const SYSCTL = "/proc/sys/net/ipv4/tcp_migrate_req";

/**
 * With SO_REUSEPORT every worker has its own accept queue, and Linux resets the connections still queued on
 * a listener when it closes: each worker restart or edge hand-over would cost the clients that connected in
 * that instant. `net.ipv4.tcp_migrate_req` (Linux >= 5.14, per network namespace) moves them to another
 * listener of the group instead. The edge turns it on when it may (root, a writable /proc/sys) unless
 * RAMPART_EDGE_KEEP_SYSCTL is set, and says what it did; otherwise it names the setting to change.
 */
export function enableRequestMigration(log: (line: string) => void): void {
  let current: string;
  try {
    current = readFileSync(SYSCTL, "utf8").trim();
  } catch {
    return log("edge: this kernel has no net.ipv4.tcp_migrate_req (Linux < 5.14): a connection queued on a closing worker can be reset");
  }
  if (current === "1") return;
  if (process.env.RAMPART_EDGE_KEEP_SYSCTL !== undefined) {
    return log(
      "edge: net.ipv4.tcp_migrate_req is 0 and RAMPART_EDGE_KEEP_SYSCTL is set: a connection queued on a closing worker can be reset",
    );
  }
  try {
    writeFileSync(SYSCTL, "1");
    log("edge: set net.ipv4.tcp_migrate_req=1 (connections queued on a closing worker move to another instead of being reset)");
  } catch {
    log(
      "edge: net.ipv4.tcp_migrate_req is 0 and cannot be changed by this user: run `sysctl -w net.ipv4.tcp_migrate_req=1` as root so restarts of edge workers never reset a connection",
    );
  }
}
