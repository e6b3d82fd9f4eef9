import { type ErrorCode, type ErrorOrigin, errorCatalogue } from "./error-catalogue.ts";

const SECTIONS: Record<ErrorOrigin, { title: string; intro: string }> = {
  api: {
    title: "Control-plane API",
    intro:
      'Answered by the API as `{"error":{"code","message","hint","details"}}` with the status below; the CLI prints ' +
      "the message and a `hint:` line, and the typed client throws an `ApiError` carrying the code.",
  },
  cli: {
    title: "CLI",
    intro: "Raised by `rampart` itself before any request is sent (it prints the message and the hint, and exits 1).",
  },
  client: {
    title: "Typed client",
    intro: "Thrown by the typed client (`src/client/api-client.ts`) when there is no API answer it can read.",
  },
  edge: {
    title: "Edge",
    intro:
      'Answered by the edge to an app\'s users when it cannot forward a request: `{"error":{"code","message","requestId"}}`, ' +
      "or a small HTML page for browsers.",
  },
  "edge-control": {
    title: "Edge control socket",
    intro:
      "Answered by the edge's control socket to the control plane (internal; the control plane logs them). It also answers " +
      "`not_found`, `body_too_large` and `internal` with the statuses above.",
  },
};

/** docs/errors.md, generated from the error catalogue (`npm run docs:errors`); a test checks it is current. */
export function renderErrorsDoc(): string {
  const lines = [
    "# Errors",
    "",
    "<!-- Generated from src/shared/error-catalogue.ts by `npm run docs:errors`; do not edit by hand. -->",
    "",
    "Every error code Rampart answers or prints, with its HTTP status, what it means, and the default hint (a",
    "throw site may give a more specific one). The codes are declared once, in `src/shared/error-catalogue.ts`;",
    "the typed client exports their union as `ErrorCode`.",
    "",
    "Other protocols answer in their own shapes: OFREP (`/ofrep/v1`) uses its `errorCode` values (`FLAG_NOT_FOUND`,",
    "`PARSE_ERROR`, `INVALID_CONTEXT`, `UNAUTHORIZED`, `GENERAL`), and a manifest error printed by the CLI lists",
    "each problem as `file:line:column key.path: message`.",
  ];
  for (const origin of Object.keys(SECTIONS) as ErrorOrigin[]) {
    const section = SECTIONS[origin];
    const rows = (Object.keys(errorCatalogue) as ErrorCode[])
      .filter((code) => errorCatalogue[code].origin === origin)
      .map((code) => {
        const entry = errorCatalogue[code];
        return [`\`${code}\``, entry.status === 0 ? "—" : String(entry.status), cell(entry.meaning), cell(entry.hint)];
      });
    lines.push("", `## ${section.title}`, "", section.intro, "", ...table(["code", "HTTP status", "meaning", "hint"], rows));
  }
  return `${lines.join("\n")}\n`;
}

/** A Markdown table with padded columns, as the formatter (biome) writes it, so `npm run format` keeps it as is. */
export function table(headers: string[], rows: string[][]): string[] {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => (row[i] ?? "").length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)];
}

function cell(text: string): string {
  return text.replaceAll("|", "\\|").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}
