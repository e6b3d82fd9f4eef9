import { isIP } from "node:net";
import { z } from "zod";

/** The resolved `api:` (paths absolute). */
export const apiSettingsSchema = z.object({
  listen: z.object({ host: z.string(), port: z.number().int() }).nullable(),
  tls: z.object({ certFile: z.string(), keyFile: z.string() }).nullable(),
  insecure: z.boolean(),
});
export type ApiSettings = z.infer<typeof apiSettingsSchema>;

/** `HOST:PORT` (an IP address or localhost; IPv6 in brackets), or null. */
export function parseListen(value: string): { host: string; port: number } | null {
  const match = /^(?:https?:\/\/)?(\[[^\]]+\]|[^:/]+):(\d+)$/.exec(value);
  if (!match?.[1] || !match[2]) return null;
  const host = match[1].replace(/^\[|\]$/g, "");
  const port = Number(match[2]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) return null;
  if (isIP(host) === 0 && host !== "localhost") return null;
  return { host, port };
}
