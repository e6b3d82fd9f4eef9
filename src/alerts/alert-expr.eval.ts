import type { CondNode, ExprNode, InstantMeasure, WindowedMeasure } from "./alert-expr.types.ts";

/** One app in one environment: what a rule is evaluated for. */
export interface AlertTarget {
  env: string;
  app: string;
}

/**
 * What an expression reads. `null` is "no data" (no request in the window for a ratio or a quantile): a comparison
 * with no data does not hold, so an idle app raises no error-ratio alert. Counts with nothing counted are 0.
 */
export interface Measurements {
  windowed(target: AlertTarget, measure: WindowedMeasure, windowMs: number): number | null;
  instant(target: AlertTarget, measure: InstantMeasure): number | null;
  metric(target: AlertTarget, name: string, labels: Record<string, string>, windowMs: number): number | null;
  /** Share of the requests in the window whose status matches `status` ("4xx" or "404"); null with no request. */
  statusRatio(target: AlertTarget, status: string, windowMs: number): number | null;
  /** Failing synthetic checks of the app (all, or the one named); null until checks exist. */
  checkFailed(target: AlertTarget, check: string | null): number | null;
  /** The measure over a long window, from a cache the evaluator refreshes between rounds; null when not known yet. */
  baseline(target: AlertTarget, measure: WindowedMeasure, windowMs: number): number | null;
}

export interface ConditionResult {
  holds: boolean;
  /** The left side of the (first deciding) comparison: the number an alert shows. */
  value: number | null;
}

export function evaluateCondition(node: CondNode, target: AlertTarget, m: Measurements): ConditionResult {
  if (node.kind === "compare") {
    const left = evaluateExpr(node.left, target, m);
    const right = evaluateExpr(node.right, target, m);
    return { holds: left !== null && right !== null && compare(node.op, left, right), value: left };
  }
  const first = evaluateCondition(node.left, target, m);
  if (node.op === "and") {
    if (!first.holds) return first;
    return { holds: evaluateCondition(node.right, target, m).holds, value: first.value };
  }
  return first.holds ? first : evaluateCondition(node.right, target, m);
}

export function evaluateExpr(node: ExprNode, target: AlertTarget, m: Measurements): number | null {
  switch (node.kind) {
    case "number":
      return node.value;
    case "windowed":
      return m.windowed(target, node.measure, node.windowMs);
    case "instant":
      return m.instant(target, node.measure);
    case "metric":
      return m.metric(target, node.name, node.labels, node.windowMs);
    case "check_failed":
      return m.checkFailed(target, node.check);
    case "status_ratio":
      return m.statusRatio(target, node.status, node.windowMs);
    case "baseline":
      return m.baseline(target, node.measure, node.windowMs);
    case "neg": {
      const v = evaluateExpr(node.operand, target, m);
      return v === null ? null : -v;
    }
    case "arith": {
      const l = evaluateExpr(node.left, target, m);
      const r = evaluateExpr(node.right, target, m);
      if (l === null || r === null) return null;
      if (node.op === "/") return r === 0 ? null : l / r;
      return node.op === "+" ? l + r : node.op === "-" ? l - r : l * r;
    }
  }
}

function compare(op: string, l: number, r: number): boolean {
  switch (op) {
    case ">":
      return l > r;
    case ">=":
      return l >= r;
    case "<":
      return l < r;
    case "<=":
      return l <= r;
    case "==":
      return l === r;
    default:
      return l !== r;
  }
}

/** The baselines a condition reads, so the evaluator can fetch them before a round. */
export function baselinesOf(node: CondNode | ExprNode): { measure: WindowedMeasure; windowMs: number }[] {
  switch (node.kind) {
    case "compare":
    case "logic":
    case "arith":
      return [...baselinesOf(node.left), ...baselinesOf(node.right)];
    case "neg":
      return baselinesOf(node.operand);
    case "baseline":
      return [{ measure: node.measure, windowMs: node.windowMs }];
    default:
      return [];
  }
}
