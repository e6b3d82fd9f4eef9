import type { AlertInstance, AlertNotifier } from "./alert.types.ts";

/** A notifier that only records what each round handed it, for tests (the real one is src/alerts/notify). */
export class FakeNotifier implements AlertNotifier {
  readonly calls: { now: number; alerts: AlertInstance[] }[] = [];

  notify(alerts: readonly AlertInstance[], now: number): void {
    this.calls.push({ now, alerts: alerts.map((a) => ({ ...a, labels: { ...a.labels }, annotations: { ...a.annotations } })) });
  }

  /** Everything handed over so far, in order. */
  all(): AlertInstance[] {
    return this.calls.flatMap((c) => c.alerts);
  }

  last(): AlertInstance[] {
    return this.calls.at(-1)?.alerts ?? [];
  }
}
