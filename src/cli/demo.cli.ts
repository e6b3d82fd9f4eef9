import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { ApiClient } from "../client/api-client.ts";
import { printBanner, runUp } from "../daemon/up.cli.ts";
import { waitForRelease } from "../releases/release-wait.ts";
import type { GlobalOptions } from "./cli-context.ts";

const SHOP = fileURLToPath(new URL("../../examples/shop/", import.meta.url));

/** `npm start`: the demo project deployed to staging and production, then the platform keeps running. */
export function registerDemoCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command("demo")
    .description("run the demo platform: examples/shop deployed to staging and production")
    .action(async () => {
      const opts = { ...globals(), config: `${SHOP}rampart.yaml`, data: globals().data ?? `${SHOP}.rampart` };
      const platform = await runUp(opts);
      const client = new ApiClient({ baseUrl: platform.credentials.api, token: platform.credentials.token });
      const status = await client.status();
      for (const env of status.environments) {
        for (const app of env.apps.filter((a) => a.live === null)) {
          process.stdout.write(`deploying ${app.name} to ${env.name}…\n`);
          const release = await client.deploy(env.name, app.name);
          await waitForRelease(client, release, 10 * 60_000);
        }
      }
      await printBanner(platform, opts);
      const first = status.environments[0];
      process.stdout.write(
        [
          "",
          "Try it:",
          first ? `  curl ${first.url}/` : "",
          `  ./bin/rampart status --data ${opts.data}`,
          `  ./bin/rampart deploy web --env staging --wait --data ${opts.data}     # a new release, zero downtime`,
          `  ./bin/rampart rollback web --env staging --wait --data ${opts.data}`,
          `  ./bin/rampart events --data ${opts.data}`,
          "(from this checkout; `npm run install-cli` puts `rampart` on your PATH for your own projects)",
          "Ctrl-C stops the control plane; the apps keep serving. `npm run stop` stops everything.",
          "",
        ].join("\n"),
      );
      await platform.stopped;
    });
}
