import type { Command } from "commander";
import { clientFor, printJson, printTable, type GlobalOptions } from "../cli/cli-context.ts";
import { durationOption } from "../cli/cli-usage.ts";
import type { VitalSummary } from "./rum.types.ts";

export function registerRumCommands(program: Command, globals: () => GlobalOptions): void {
  program
    .command("rum <app>")
    .description("real-user monitoring: per release, p75 of LCP, INP, CLS, FCP and TTFB and the JS errors its pages reported")
    .requiredOption("--env <env>", "environment")
    .option("--since <duration>", "look-back window, e.g. 15m, 1h, 7d", durationOption, "1h")
    .option("--json", "print JSON")
    .action(async (app: string, options: GlobalOptions & { env: string; since: string }) => {
      const opts = { ...globals(), ...options };
      const summary = await clientFor(opts).rum(options.env, app, { since: options.since });
      if (opts.json) return printJson(summary);
      if (summary.releases.length === 0) {
        process.stdout.write(
          `no RUM reports for ${app} in ${options.env} since ${options.since}: is rum: true set for it in rampart.yaml, and have browsers loaded its pages?\n`,
        );
        return;
      }
      const ms = (v: VitalSummary) => (v.p75 === null ? "-" : `${Math.round(v.p75)}ms${mark(v)}`);
      const rows = summary.releases.map((r) => [
        String(r.release),
        ms(r.lcp),
        ms(r.inp),
        r.cls.p75 === null ? "-" : `${r.cls.p75.toFixed(3)}${mark(r.cls)}`,
        ms(r.fcp),
        ms(r.ttfb),
        String(r.jsErrors),
        String(Math.max(r.lcp.count, r.fcp.count, r.ttfb.count)),
      ]);
      printTable(["RELEASE", "LCP P75", "INP P75", "CLS P75", "FCP P75", "TTFB P75", "JS ERRORS", "PAGES"], rows);
    });
}

/** web-vitals' rating: nothing for good, `!` needs improvement, `!!` poor. */
function mark(v: VitalSummary): string {
  return v.rating === "poor" ? " !!" : v.rating === "needs-improvement" ? " !" : "";
}
