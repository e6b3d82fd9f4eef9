/**
 * The systemd unit that runs `rampart up` as a service. The one setting that matters is `KillMode=process`:
 * systemd's default (control-group) would kill the edge and every app with the control plane on each
 * `systemctl restart` or upgrade, which is exactly what Rampart's detached data plane exists to avoid. With it,
 * only the control plane is stopped; the edge and instances keep serving and are re-adopted by the next start.
 */
export interface UnitOptions {
  /** Absolute path of the `rampart` executable (bin/rampart of the installed package or the checkout). */
  rampart: string;
  configPath: string;
  dataDir: string;
  /** `--api HOST:PORT`; null: rampart.yaml's `api.listen` (default 127.0.0.1:7700) decides. */
  api: string | null;
  workingDir: string;
  /** Run as this user; null = root. */
  user: string | null;
  project: string;
}

export function renderUnit(o: UnitOptions): string {
  const quote = (value: string) => (/^[\w@%+=:,./-]+$/.test(value) ? value : `"${value.replace(/(["\\])/g, "\\$1")}"`);
  const lines = [
    "# Written by `rampart service install`; `rampart service uninstall` removes it.",
    "[Unit]",
    `Description=Rampart control plane (project ${o.project})`,
    "After=network-online.target",
    "Wants=network-online.target",
    "",
    "[Service]",
    "Type=simple",
    ...(o.user ? [`User=${o.user}`] : []),
    `WorkingDirectory=${quote(o.workingDir)}`,
    `ExecStart=${[o.rampart, "up", "--config", o.configPath, "--data", o.dataDir, ...(o.api === null ? [] : ["--api", o.api])].map(quote).join(" ")}`,
    "# Only the control plane stops on stop/restart: the edge and the apps are detached, keep serving, and are",
    "# re-adopted by the next start. `rampart down` stops them.",
    "KillMode=process",
    "KillSignal=SIGTERM",
    "TimeoutStopSec=30",
    "Restart=on-failure",
    "RestartSec=2",
    "LimitNOFILE=65536",
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ];
  return lines.join("\n");
}

export interface ParsedUnit {
  execStart: string[];
  workingDir: string | null;
  user: string | null;
  killMode: string | null;
  killSignal: string | null;
  /** TimeoutStopSec in seconds. */
  timeoutStopSec: number | null;
  restart: string | null;
  /** RestartSec in seconds. */
  restartSec: number | null;
  limitNofile: number | null;
}

/** Reads back what a unit would run (tests run exactly that command line). */
export function parseUnit(text: string): ParsedUnit {
  const value = (key: string) => text.match(new RegExp(`^${key}=(.*)$`, "m"))?.[1] ?? null;
  const exec = value("ExecStart") ?? "";
  const words = [...exec.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((m) =>
    m[1] !== undefined ? m[1].replace(/\\(.)/g, "$1") : (m[2] ?? ""),
  );
  const dir = value("WorkingDirectory");
  return {
    execStart: words,
    workingDir: dir?.replace(/^"(.*)"$/, "$1").replace(/\\(.)/g, "$1") ?? null,
    user: value("User"),
    killMode: value("KillMode"),
    killSignal: value("KillSignal"),
    timeoutStopSec: numberOrNull(value("TimeoutStopSec")),
    restart: value("Restart"),
    restartSec: numberOrNull(value("RestartSec")),
    limitNofile: numberOrNull(value("LimitNOFILE")),
  };
}

function numberOrNull(text: string | null): number | null {
  return text !== null && /^\d+$/.test(text) ? Number(text) : null;
}
