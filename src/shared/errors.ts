/**
 * A failure the caller can act on. Services throw it; the API turns it into
 * `{"error":{"code","message","details"}}` with `status`, and the CLI prints the message (and the hint).
 */
export class RampartError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details: unknown;
  readonly hint: string | undefined;

  constructor(code: string, message: string, options: { status?: number; details?: unknown; hint?: string } = {}) {
    super(message);
    this.name = "RampartError";
    this.code = code;
    this.status = options.status ?? 400;
    this.details = options.details;
    this.hint = options.hint;
  }
}

export const notFound = (what: string, hint?: string) => new RampartError("not_found", `${what} not found`, { status: 404, hint });

export const conflict = (code: string, message: string, hint?: string) => new RampartError(code, message, { status: 409, hint });

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
