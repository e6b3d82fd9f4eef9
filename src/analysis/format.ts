/** Numbers as people read them in verdicts; JSON cannot hold NaN or Infinity, so those become null. */

export function finiteOrNull(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

export function percent(rate: number | null): string {
  if (rate === null) return "n/a";
  const value = rate * 100;
  // Two significant digits without a trailing zero: a 1% guard reads "1%", not "1.0%".
  return `${value >= 10 || value === 0 ? value.toFixed(0) : Number(value.toPrecision(2))}%`;
}

export function millis(ms: number | null): string {
  if (ms === null) return "n/a";
  return `${ms >= 100 ? ms.toFixed(0) : ms.toPrecision(2)} ms`;
}

export function count(n: number): string {
  return Number.isInteger(n) ? n.toLocaleString("en-US") : n.toFixed(1);
}
