/**
 * Login and authentication costs (node_modules/.bin/node bench/access/run.ts): a failed login for a known user
 * against one for an unknown user (they must cost the same, so a login does not tell which names exist), and the
 * per-request cost of authenticating each kind of credential. Medians of interleaved rounds, on a fresh store.
 */
import { accessFixture, LOCAL_TOKEN } from "../../src/access/access.fixture.ts";
import { LoginThrottle } from "../../src/access/login-throttle.ts";

const ROUNDS = Number(process.env.ROUNDS ?? 30);
const f = await accessFixture({ throttle: new LoginThrottle({ perUser: 1e9, perAddress: 1e9, windowMs: 1 }) });
const password = "correct horse battery staple";
await f.users.add({ name: "alice", password }, "local");
const pat = (await f.tokens.create({ name: "laptop", user: "alice" }, "local")).token;
const svc = (await f.tokens.create({ name: "ci", grants: [{ role: "deployer", env: "production" }] }, "local")).token;
const session = (await f.sessions.login({ user: "alice", password, address: "a" })).token;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? 0;
async function timed(work: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await work().catch(() => undefined);
  return performance.now() - t;
}

const wrong: number[] = [];
const unknown: number[] = [];
for (let i = 0; i < ROUNDS; i++) {
  wrong.push(await timed(() => f.sessions.login({ user: "alice", password: "not the password", address: "a" })));
  unknown.push(await timed(() => f.sessions.login({ user: "nobody", password: "not the password", address: "a" })));
}
const rows: Array<[string, string]> = [
  ["login, wrong password (ms, median)", median(wrong).toFixed(1)],
  ["login, unknown user (ms, median)", median(unknown).toFixed(1)],
];
for (const [name, secret] of [
  ["local", LOCAL_TOKEN],
  ["personal token", pat],
  ["service token", svc],
  ["session", session],
] as const) {
  const times: number[] = [];
  for (let i = 0; i < ROUNDS * 20; i++) times.push(await timed(() => f.authenticator.authenticate(f.bearer(secret))));
  rows.push([`authenticate, ${name} (ms, median)`, median(times).toFixed(3)]);
}
await f.close();
const width = Math.max(...rows.map(([n]) => n.length));
process.stdout.write(`${rows.map(([n, v]) => `${n.padEnd(width)}  ${v}`).join("\n")}\n`);
