import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { type Browser, chromium, type Page } from "playwright-core";
import { runCli } from "./rampart-process.ts";

/** Debian's chromium package (scripts/test-deps.sh installs it); playwright-core drives it, no browser download. */
export const CHROMIUM = process.env.RAMPART_CHROMIUM ?? "/usr/bin/chromium";

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
}

/** A user with a password login and standing roles, added through the CLI with the data dir's credentials. */
export function addUser(dataDir: string, name: string, password: string, grants: [role: string, env: string][]): void {
  const env = { RAMPART_API: "", RAMPART_TOKEN: "" };
  const added = runCli(["user", "add", name, "--password-stdin", "--data", dataDir], { env, input: `${password}\n` });
  if (added.code !== 0) throw new Error(`rampart user add ${name} failed: ${added.stderr}`);
  for (const [role, where] of grants) {
    const granted = runCli(["role", "grant", name, role, "--env", where, "--data", dataDir], { env });
    if (granted.code !== 0) throw new Error(`rampart role grant ${name} ${role} failed: ${granted.stderr}`);
  }
}

/** Logs in through the console's login form, as a person would. */
export async function logIn(page: Page, base: string, user: string, password: string): Promise<void> {
  await page.goto(base);
  await page.getByLabel("User").fill(user);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("button", { name: "Log out" }).waitFor();
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/**
 * axe-core inside the page. It is evaluated through the DevTools protocol, which the console's CSP (script-src
 * 'self') does not govern, so the page is checked with its real CSP in force.
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(axeSource);
  return page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(): Promise<{ violations: AxeViolation[] }> } }).axe;
    const result = await axe.run();
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) }));
  });
}
