/** One row of the drill table, and what the drill checked to fill it. */
export interface DrillResult {
  drill: string;
  /** Requests the steady load issued during the drill. */
  sent: number;
  /** Requests that got a status >= 500 or no answer. */
  failed: number;
  /** From the fault to the recovery the drill defines (see each drill); null when it does not apply. */
  recoveredMs: number | null;
  consistent: boolean;
  /** Whether the drill's own expectations held (0 failed where promised, same pids, exit 0 …) and the state check passed. */
  passed: boolean;
  /** Time targets of the issue that were missed (e.g. a new edge serving within 1 s). */
  slow: string[];
  /** What was measured beyond the columns, and every failed expectation or state problem. */
  notes: string[];
}

/** Settings shared by every drill; `npm run drills -- --rate N --app DIR --run CMD --health PATH` changes them. */
export interface DrillOptions {
  /** Steady load, requests per second, on loopback. */
  rate: number;
  /** An app directory to drill instead of the built-in test app, with its run command and health path. */
  source?: string;
  run?: string;
  healthPath?: string;
}

export interface Drill {
  name: string;
  run(options: DrillOptions): Promise<DrillResult[]>;
}
