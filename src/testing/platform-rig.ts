import { join } from "node:path";
import { after, before } from "node:test";
import { waitForRelease } from "../releases/release-wait.ts";
import { auditEvents } from "./event-audit.ts";
import { killPlatform, type RampartUp, runCli, startRampartUp } from "./rampart-process.ts";
import { createTestProject, type TestProject, type TestProjectOptions } from "./test-project.ts";

export interface PlatformRigOptions {
  /**
   * createTestProject's options, or a function that makes the project, for a file that writes sources, manifest or
   * keys around it before the platform starts.
   */
  project?: TestProjectOptions | (() => Promise<TestProject>);
  /**
   * More environment for `rampart up`, over this process's as it is when the platform starts (so the event audit's
   * variable is in it) and with the developer's own RAMPART_API and RAMPART_TOKEN blanked, as startRampartUp does.
   */
  upEnv?: Record<string, string>;
  /** A release to have live before the tests: deployed and waited for through the API (app `web` unless named). */
  deploy?: { env: string; app?: string; timeoutMs: number };
}

export interface PlatformRig {
  readonly project: TestProject;
  readonly up: RampartUp;
  /** The event audit, on for the whole describe: a scenario ends with `events.assertNoViolations()`. */
  readonly events: ReturnType<typeof auditEvents>;
  /** Runs the CLI against this platform's data dir, never the developer's own API or token. */
  cli(args: string[], input?: string): ReturnType<typeof runCli>;
}

/**
 * One real `rampart up` for the tests of the `describe` it is called in: the project made, the event audit on, the
 * platform started (and a release deployed if asked) in a `before`; everything it started killed in an `after`, even
 * when the `before` failed halfway. A file's own `before` and `after` registered after this call run after these.
 */
export function platformRig(options: PlatformRigOptions = {}): PlatformRig {
  let project: TestProject | undefined;
  let up: RampartUp | undefined;
  let events: ReturnType<typeof auditEvents> | undefined;
  const ready = <T>(value: T | undefined, name: string): T => {
    if (value === undefined) throw new Error(`platformRig: ${name} is read before the rig's before() has set it up (or that failed)`);
    return value;
  };

  before(async () => {
    const made = options.project;
    project = typeof made === "function" ? await made() : await createTestProject(made);
    events = auditEvents(join(project.dir, "event-audit.jsonl"));
    up = await startRampartUp({
      manifestPath: project.manifestPath,
      dataDir: project.dataDir,
      addEnv: options.upEnv,
    });
    const { deploy } = options;
    if (deploy) await waitForRelease(up.client, await up.client.deploy(deploy.env, deploy.app ?? "web"), deploy.timeoutMs);
  });
  after(async () => {
    try {
      // Without `up` (its start failed) the data dir still names whatever the platform had started by then.
      if (project) await killPlatform(project.dataDir, up);
    } finally {
      events?.off();
    }
  });

  return {
    get project() {
      return ready(project, "project");
    },
    get up() {
      return ready(up, "up");
    },
    get events() {
      return ready(events, "events");
    },
    cli: (args, input) =>
      runCli([...args, "--data", ready(project, "project").dataDir], { env: { RAMPART_API: "", RAMPART_TOKEN: "" }, input }),
  };
}
