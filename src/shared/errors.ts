import { type ConflictCode, type ErrorCode, errorCatalogue } from "./error-catalogue.ts";

export type { ErrorCode } from "./error-catalogue.ts";

/**
 * A failure the caller can act on. Services throw it; the API turns it into
 * `{"error":{"code","message","hint","details"}}` with the code's status from the error catalogue, and the CLI
 * prints the message and the hint (the catalogue's default unless the throw site gives a more specific one).
 */
export class RampartError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: unknown;
  readonly hint: string;

  constructor(code: ErrorCode, message: string, options: { details?: unknown; hint?: string } = {}) {
    super(message);
    this.name = "RampartError";
    this.code = code;
    this.status = errorCatalogue[code].status;
    this.details = options.details;
    this.hint = options.hint ?? errorCatalogue[code].hint;
  }
}

export const notFound = (what: string, hint?: string) => new RampartError("not_found", `${what} not found`, { hint });

export const conflict = (code: ConflictCode, message: string, hint?: string) => new RampartError(code, message, { hint });

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
