import type { LogLine } from "./log-line.ts";

/** How many of the last lines a start failure quotes; the first error line is looked for further back. */
export const QUOTED_LINES = 8;
export const SEARCHED_LINES = 200;

// Lines that open (or, for Python, close) an error report, in the languages apps here are written in.
const ERROR_LINE: readonly RegExp[] = [
  // Node and browsers-style JS (`Error: …`, `TypeError: …`, `Error [ERR_MODULE_NOT_FOUND]: …`), Python, Java, C# exception lines.
  /^(?:Uncaught\s+)?(?:[\w$]+\.)*[A-Z][\w$]*(?:Error|Exception)(?:\s*\[[\w-]+\])?:\s/,
  /^(?:Uncaught\s+)?Error(?:\s*\[[\w-]+\])?:\s/,
  // Go, Rust, Java's uncaught exception header, Ruby's `file:1:in 'require': … (LoadError)`.
  /^panic: /,
  /^fatal error: /,
  /^thread '.*' panicked at /,
  /^Exception in thread /,
  /\((?:\w+::)*\w*(?:Error|Exception)\)$/,
  // The shell that execs the command (`sh: 1: exec: gunicorn: not found`) and the runner itself.
  /^(?:\/bin\/)?sh: /,
  /^\[rampart-runner\] /,
  /^(?:error|fatal|ERROR|FATAL)(?:\[\w+\])?: /,
];

const PYTHON_TRACEBACK = "Traceback (most recent call last):";
const PYTHON_CHAINED = /^(?:During handling of the above exception|The above exception was the direct cause)/;

/**
 * The line of an app's output that says what went wrong, which a stack trace's last lines often do not show:
 * Node prints `Error: Cannot find module './config.json'` before a dozen `at …` lines. Python prints the
 * exception last, after its traceback: there the line that ends the traceback counts (the frames' source lines
 * are indented, the exception line is not).
 */
export function firstErrorLine(texts: readonly string[]): string | undefined {
  for (let i = 0; i < texts.length; i++) {
    const text = (texts[i] ?? "").trimEnd();
    if (text === PYTHON_TRACEBACK) {
      const end = texts.findIndex((line, j) => j > i && line.trim() !== "" && !/^\s/.test(line));
      if (end === -1) continue;
      // A chained exception ("During handling of the above exception, …") is reported by the traceback that follows.
      const next = texts.slice(end + 1).find((line) => line.trim() !== "");
      if (next !== undefined && PYTHON_CHAINED.test(next)) {
        i = end;
        continue;
      }
      return (texts[end] ?? "").trimEnd();
    }
    if (ERROR_LINE.some((pattern) => pattern.test(text))) return text;
  }
  return undefined;
}

/** A start failure's quote of the output: the first error line, then the last lines. */
export function describeOutput(lines: readonly LogLine[]): string {
  if (lines.length === 0) return "";
  const last = lines.slice(-QUOTED_LINES);
  const error = firstErrorLine(lines.map((l) => l.text));
  const head = error !== undefined ? `; first error: ${error}` : "";
  return `${head}; its last output:\n${last.map((l) => `  ${l.stream === "err" ? "!" : " "} ${l.text}`).join("\n")}`;
}
