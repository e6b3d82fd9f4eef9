import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { writeFileAtomicSync } from "../shared/atomic-file.ts";

/** Written by `rampart up` (mode 0600) so the CLI on the same machine finds the API and its token. */
export const credentialsSchema = z.object({
  api: z.string().describe("base URL of the control-plane API, e.g. http://127.0.0.1:7700"),
  token: z.string().min(32),
  pid: z.number().int().optional(),
  /**
   * With TLS: the certificate file the API serves. The CLI on this machine pins it (trusts exactly that
   * certificate, whatever names it carries), re-read at each command so a rotated certificate keeps working.
   */
  certFile: z.string().optional(),
});
export type Credentials = z.infer<typeof credentialsSchema>;

export function credentialsPath(dataDir: string): string {
  return join(dataDir, "credentials.json");
}

export function readCredentials(dataDir: string): Credentials | null {
  const path = credentialsPath(dataDir);
  if (!existsSync(path)) return null;
  const parsed = credentialsSchema.safeParse(JSON.parse(readFileSync(path, "utf8")));
  return parsed.success ? parsed.data : null;
}

/** The token survives restarts (scripts keep working); only its file's address changes. */
export function writeCredentials(dataDir: string, api: string, pid: number, certFile?: string): Credentials {
  const token = readCredentials(dataDir)?.token ?? randomBytes(32).toString("base64url");
  const credentials = { api, token, pid, ...(certFile === undefined ? {} : { certFile }) };
  writeFileAtomicSync(credentialsPath(dataDir), `${JSON.stringify(credentials, null, 2)}\n`, 0o600);
  chmodSync(credentialsPath(dataDir), 0o600);
  return credentials;
}
