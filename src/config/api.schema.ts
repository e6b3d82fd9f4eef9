import { z } from "zod";
import { type ApiSettings, parseListen } from "./api-settings.schema.ts";
import { booleanField, expected, text } from "./fields.schema.ts";

/**
 * `api:` in rampart.yaml: where the control-plane API listens and with which certificate. Beyond loopback the API
 * speaks TLS, or says `insecure: true` (behind a TLS-terminating proxy on the same host, for example).
 */
export const apiFileSchema = z.strictObject(
  {
    listen: z
      .string({ error: expected("HOST:PORT such as 0.0.0.0:7700") })
      .refine((value) => parseListen(value) !== null, {
        error: (issue) => `${JSON.stringify(issue.input)} is not HOST:PORT with an IP address, e.g. 0.0.0.0:7700 or 127.0.0.1:7700`,
      })
      .optional(),
    tls: z
      .strictObject(
        { cert: text("a certificate file (PEM)"), key: text("a private key file (PEM)") },
        { error: expected("a mapping such as { cert: ./tls/api.crt, key: ./tls/api.key }") },
      )
      .optional(),
    insecure: booleanField.optional(),
  },
  { error: expected('a mapping such as { listen: "0.0.0.0:7700", tls: { cert: ./tls/api.crt, key: ./tls/api.key } }') },
);

export type ApiFile = z.output<typeof apiFileSchema>;

export function resolveApiSettings(file: ApiFile | undefined, resolvePath: (path: string) => string): ApiSettings {
  return {
    listen: file?.listen === undefined ? null : parseListen(file.listen),
    tls: file?.tls ? { certFile: resolvePath(file.tls.cert), keyFile: resolvePath(file.tls.key) } : null,
    insecure: file?.insecure ?? false,
  };
}
