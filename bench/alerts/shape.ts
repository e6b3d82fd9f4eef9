/** The bench's series and rules, shared by the Rampart run and the Prometheus comparison. */
export const ENVS = ["staging", "production"];
export const APPS = Array.from({ length: 50 }, (_, i) => `app${i}`);
export const ROUTES = ["/", "/api", "/cart", "/search"];
export const CODES = ["200", "201", "404", "500", "503"];
export const INSTANCES = 4;
export const FAILING_APPS = new Set(["app1", "app2", "app3", "app4", "app5"]);
export const PROJECT_RULES = [
  { name: "slow_p95", expr: "latency_p95(5m) > 0.5", for: "1m", severity: "warning" },
  { name: "no_traffic", expr: "request_rate(5m) == 0 and instances > 0", for: "5m", severity: "warning" },
  { name: "jobs_stalled", expr: 'metric("jobs_total", {queue="mail"}, 5m) < 0.01', for: "5m", severity: "info" },
];
