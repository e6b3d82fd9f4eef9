/**
 * The same two flags in each SDK, each in its local/offline mode with metrics and events off:
 *   (a) "plain": a boolean flag on for everyone;
 *   (b) "targeted": on for 50 % (sticky by user id) of the users whose country is in a 10-value list, off otherwise.
 * Contexts are built once per SDK in its own shape, so the timed loop measures evaluation only.
 */
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { InMemStorageProvider, Unleash } from "unleash-client";
import { GrowthBookClient } from "@growthbook/growthbook";
import { init as ldInit, integrations } from "@launchdarkly/node-server-sdk";
import { OpenFeature } from "@openfeature/server-sdk";
import { FlagsClient } from "../../packages/sdk/src/index.ts";
import type { FlagSnapshot } from "../../packages/sdk/src/index.ts";
import { RampartProvider } from "../../packages/sdk/src/openfeature-provider.ts";

export const COUNTRIES = ["de", "fr", "it", "es", "nl", "be", "at", "ch", "pl", "se"];
export type Scenario = "plain" | "targeted";

export interface User {
  id: string;
  country: string;
}

export interface Peer {
  name: string;
  /** Synchronous evaluation of user i's flag; undefined when the SDK only has an async API. */
  sync?: (flag: Scenario, i: number) => boolean;
  async?: (flag: Scenario, i: number) => Promise<boolean>;
  close(): Promise<void>;
}

/** Half the users in the country list, half outside; ids distinct. */
export function makeUsers(n: number): User[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `user-${i}-${(i * 2654435761) >>> 0}`,
    country: i % 2 === 0 ? COUNTRIES[i % COUNTRIES.length]! : "us",
  }));
}

export function rampartSnapshot(): FlagSnapshot {
  const base = {
    type: "boolean" as const,
    kind: "release" as const,
    enabled: true,
    variations: [
      { key: "on", value: true },
      { key: "off", value: false },
    ],
    offVariation: "off",
    prerequisites: [],
  };
  return {
    schema: 1,
    env: "bench",
    version: 1,
    segments: [],
    flags: [
      { ...base, key: "plain", rules: [], fallthrough: { variation: "on" }, salt: "plain-1" },
      {
        ...base,
        key: "targeted",
        salt: "targeted-1",
        fallthrough: { variation: "off" },
        rules: [
          {
            id: "r1",
            clauses: [{ attribute: "country", operator: "in", values: COUNTRIES }],
            serve: { rollout: { by: "userId", percentage: 50, variations: [{ variation: "on", weight: 1 }], outVariation: "off" } },
          },
        ],
      },
    ],
  };
}

export function rampartPeer(users: User[]): Peer {
  const client = new FlagsClient({ bootstrap: rampartSnapshot() });
  const contexts = users.map((u) => ({ userId: u.id, country: u.country }));
  return { name: "@rampart/sdk", sync: (flag, i) => client.boolean(flag, contexts[i]!, false), close: () => client.close() };
}

export async function rampartOpenFeaturePeer(users: User[]): Promise<Peer> {
  await OpenFeature.setProviderAndWait("bench", new RampartProvider({ bootstrap: rampartSnapshot() }));
  const client = OpenFeature.getClient("bench");
  const contexts = users.map((u) => ({ targetingKey: u.id, userId: u.id, country: u.country }));
  return {
    name: "@rampart/sdk via OpenFeature",
    async: (flag, i) => client.getBooleanValue(flag, false, contexts[i]!),
    close: () => OpenFeature.close(),
  };
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function unleashPeer(users: User[]): Promise<Peer> {
  const port = await closedPort();
  const unleash = new Unleash({
    appName: "bench",
    url: `http://127.0.0.1:${port}/api`,
    disableMetrics: true,
    refreshInterval: 0,
    storageProvider: new InMemStorageProvider(),
    bootstrap: {
      data: [
        { name: "plain", enabled: true, strategies: [{ name: "default", parameters: {}, constraints: [] }] },
        {
          name: "targeted",
          enabled: true,
          strategies: [
            {
              name: "flexibleRollout",
              parameters: { rollout: "50", stickiness: "userId", groupId: "targeted" },
              constraints: [{ contextName: "country", operator: "IN", values: COUNTRIES }],
            },
          ],
        },
      ] as never,
    },
  });
  unleash.on("error", () => {}); // the closed port: offline on purpose
  unleash.on("warn", () => {});
  await new Promise<void>((resolve) => (unleash.isSynchronized() ? resolve() : unleash.once("ready", () => resolve())));
  const contexts = users.map((u) => ({ userId: u.id, properties: { country: u.country } }));
  return { name: "unleash-client", sync: (flag, i) => unleash.isEnabled(flag, contexts[i]), close: async () => unleash.destroy() };
}

export function growthbookPeer(users: User[]): Peer {
  const gb = new GrowthBookClient().initSync({
    payload: {
      features: {
        plain: { defaultValue: true },
        targeted: {
          defaultValue: false,
          rules: [{ condition: { country: { $in: COUNTRIES } }, force: true, coverage: 0.5, hashAttribute: "id" }],
        },
      },
    },
  });
  const contexts = users.map((u) => ({ attributes: { id: u.id, country: u.country } }));
  return { name: "@growthbook/growthbook", sync: (flag, i) => gb.isOn(flag, contexts[i]!), close: async () => gb.destroy() };
}

export async function launchDarklyPeer(users: User[]): Promise<Peer> {
  const td = new integrations.TestData();
  await td.update(td.flag("plain").booleanFlag().variationForAll(true));
  await td.usePreconfiguredFlag({
    key: "targeted",
    version: 1,
    on: true,
    variations: [true, false],
    offVariation: 1,
    fallthrough: { variation: 1 },
    salt: "targeted",
    rules: [
      {
        id: "r1",
        clauses: [{ attribute: "country", op: "in", values: COUNTRIES, contextKind: "user" }],
        rollout: {
          variations: [
            { variation: 0, weight: 50000 },
            { variation: 1, weight: 50000 },
          ],
        },
      },
    ],
    targets: [],
    prerequisites: [],
  });
  const client = ldInit("sdk-bench-key", {
    updateProcessor: td.getFactory(),
    sendEvents: false,
    diagnosticOptOut: true,
    logger: { error() {}, warn() {}, info() {}, debug() {} },
  });
  await client.waitForInitialization({ timeout: 10 });
  const contexts = users.map((u) => ({ kind: "user", key: u.id, country: u.country }));
  return {
    name: "@launchdarkly/node-server-sdk",
    async: (flag, i) => client.variation(flag, contexts[i]!, false) as Promise<boolean>,
    close: async () => client.close(),
  };
}
