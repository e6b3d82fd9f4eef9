import { stringify } from "yaml";

/**
 * The rampart.yaml that `rampart init` writes: every key present or shown, each explained where
 * it stands, so the file doubles as the reference. Defaults are spelt out as values so a team
 * sees what it gets without looking anything up. A test loads it, so it cannot rot.
 */
export function starterManifest(name: string): string {
  // stringify quotes names YAML would read as something else, e.g. "2024" or "null".
  const nameYaml = stringify(projectNameFrom(name)).trimEnd();
  return `# rampart.yaml: what Rampart runs and how it releases it.
# Durations: 500ms, 30s, 5m, 1h, 1m30s. Percentages: 1%, 0.5%. Ratios: 1.5x.

name: ${nameYaml}  # project name: a-z, 0-9 and -

environments:                     # each has its own edge port, instances and releases
  staging:
    port: 8081                    # edge port for this environment (required)
    bind: 0.0.0.0                 # address the edge listens on; 127.0.0.1 keeps it local
  production:
    port: 8080                    # each environment needs its own port
    protected: true               # stricter gates and elevated access for releases here
    # tls:                        # optional: terminate HTTPS here; the files are reloaded when they change
    #   cert: ./tls/cert.pem      # certificate chain (PEM)
    #   key: ./tls/key.pem        # private key (PEM)
    # pin_from: [127.0.0.1]       # who may send X-Rampart-Release: N to reach one release (default: this machine)
    # tracing:                    # the edge's server spans (errors always get one)
    #   sample: 1%                # share of new traces sampled; a sampled traceparent from the client is followed
    #   slow: 1s                  # every request at least this slow gets a span
    # limits:                     # protections of the edge listener
    #   header_timeout: 10s       # a client must send its request headers within this (slowloris: 408)
    #   idle_timeout: 60s         # an idle keep-alive connection is closed after this
    #   max_header_size: 16kb     # larger request headers are refused (431)
    # readiness:                  # what the FIRST deploy here needs (docs/readiness.md); rampart readiness web --env production
    #   require: [health_check, no_secrets, load_test]  # default for a protected environment: health_check, no_secrets
    #   max_age_days: 30          # how recent a load test and a rollback drill must be
    #   load_rate: 200            # a passed load test in staging at least this many requests/s
    #   staging: staging          # where load tests, drills and parity are looked for
    # access_log: true            # the edge's JSON-lines access log (rampart logs --edge); or { max_size: 64mb, keep: 5 }
    # http2:                      # HTTP/2 to clients (instances still get HTTP/1.1)
    #   tls: true                 # offered by ALPN on a TLS port (HTTP/1.1 for the rest); false turns it off
    #   cleartext: false          # true: h2c with prior knowledge on this plain port, next to HTTP/1.1

apps:                             # one entry per deployable service
  web:
    source: ./web                 # directory snapshotted into each artifact (.gitignore, .rampartignore, node_modules, .git left out)
    # exclude: [dist/, "*.log"]   # optional: more gitignore-style patterns left out of every artifact
    # build: npm ci --omit=dev    # optional: runs once per artifact, inside its copy of source
    run: node server.js           # starts one instance; Rampart sets PORT for it to listen on
    # owner: team-web             # who answers for the app (a readiness check)
    # runbook: https://wiki.example.com/runbooks/web  # what on-call reads first (a readiness check)
    instances: 2                  # processes per environment (1-64)
    routes: ["/"]                 # path prefixes sent to this app; the longest prefix wins
    # hosts: [shop.example.com]   # optional: only serve these host names (default: any host)
    health:                       # how Rampart knows an instance can take traffic
      path: /                     # polled on every instance; a 200-399 answer means healthy
      interval: 1s                # time between checks
      timeout: 1s                 # a check slower than this counts as failed
      start_timeout: 60s          # how long a new instance may take to become healthy
      unhealthy_threshold: 3      # failed checks in a row before an instance is taken out
    drain: 10s                    # how long an old instance may finish in-flight requests
    timeout: 60s                  # longest wait for an instance's response headers
    # limits:                     # per app, at the edge
    #   body: 10mb                # larger request bodies are refused (413)
    #   rate: 100/s               # per client IP (429 with Retry-After); default: no limit
    #   burst: 200                # requests a client may send at once above the rate
    # sticky:                     # keeps a user on one side of a canary (default: a cookie the edge sets)
    #   cookie: session_id        # ... or your own cookie
    #   header: X-User-Id         # ... or a header; name one of cookie or header
    # headers:                    # client request headers, at the edge
    #   underscores: drop         # names with _ (X_Forwarded_For) are dropped; allow forwards them
    # auth:                       # the edge lets in only authenticated requests (401/403 itself)
    #   jwt: { jwks: ./jwks.json, issuer: https://id.example.com/, audience: shop }   # or jwks: https://…
    #   api_keys: true            # keys from rampart apikeys create web --env ENV
    #   public: [/healthz]        # path prefixes served without credentials
    # metrics:                   # scrape the app's own Prometheus endpoint on every instance
    #   path: /metrics            # served on the instance's PORT
    #   interval: 15s             # time between scrapes
    # rum: true                   # real-user monitoring: web vitals of HTML pages per release (docs/rum.md)
    env:                          # environment variables for every instance
      NODE_ENV: production
    # secrets: [DATABASE_URL]     # names this app needs: rampart secrets set web DATABASE_URL --env ENV < FILE
    # secrets_as_files: false     # true: each secret is a 0400 file in $RAMPART_SECRETS_DIR instead of a variable
    # databases:                  # for rampart db query (read-only, audited; docs/secrets.md)
    #   main: { kind: postgres, url_secret: DATABASE_URL }
    release:                      # how a new version replaces the running one
      strategy: rolling           # rolling, blue-green or canary
      steps: [5, 25, 50, 100]     # canary only: % of traffic at each step
      pause: 30s                  # canary only: how long each step is held and judged
      # hold_timeout: 10m         # canary only: a step with no verdict this long after its pause rolls back
      keep_warm: 5m               # the replaced release stays up this long: rollback is an instant switch
      # settle: 30s               # rolling/blue-green: new instances must stay up this long before the old stop
      # guards:                   # canary only: judged on live traffic, canary against stable
      #   error_rate: 1%          # roll back when more than 1% of requests fail (or relative: 2x stable's)
      #   p99_latency: 1.5x       # ... or p99 is 1.5 times stable's (or a duration: 800ms)
      #   p50_latency: 300ms      # ... or the median is slower than 300ms (or a ratio: 1.2x)
      #   lcp_p75: 1.2x           # rum: true only: pages' p75 LCP 1.2 times stable's (or 2500ms)
      #   inp_p75: 1.2x           # ... p75 INP (or a duration)
      #   cls_p75: 0.1            # ... p75 CLS above 0.1 (or a ratio)
      #   fcp_p75: 1.2x           # ... p75 FCP (or a duration)
      #   ttfb_p75: 1.2x          # ... p75 TTFB (or a duration)
    # checks:                    # synthetic checks; the health path and routes are checked through the edge anyway
    #   - { name: orders, path: /api/orders, conditions: ["status == 200", "body.status == UP"] }
    # heartbeats:                # jobs report in: POST /api/v1/heartbeats/ENV/web/NAME (docs/checks.md)
    #   - { name: nightly, every: 24h, grace: 1h }
    # parity:                    # intended differences between environments (docs/parity.md); rampart parity staging production
    #   allow: [instances, env.NODE_ENV]
    environments:                 # per-environment overrides of any key above except source
      staging:
        instances: 1
        env: { NODE_ENV: staging }
    # alerts:                     # this app's own alert rules (docs/alerts.md), in every environment
    #   - name: slow_checkout
    #     expr: latency_p99(5m) > 0.8 and request_rate(5m) > 1
    #     for: 2m
    #     severity: warning       # info, warning or critical (critical rolls a canary back)

# alerts:                         # every app gets default rules: 5xx ratio, p99 vs its baseline, crash loop, no healthy instance
#   rules:                        # project-wide rules; one named like a default replaces it
#     - name: high_error_ratio
#       expr: error_ratio(5m) > 0.02
#       for: 1m
#       severity: critical
#       annotations: { summary: "{{ $labels.app }} fails {{ $value | percent }}", runbook_url: https://wiki.example.com/5xx }
#   defaults: { crash_loop: true }  # switch a default rule off with false
#   receivers: { ops: { webhook: https://hooks.example.com/rampart } }  # who is told (docs/alerts-notify.md)
#   default_receiver: ops

# access:                         # just-in-time access (docs/access.md): who approves which role where, for how long
#   requests: { production: { approvals: 1, max_duration: 4h } }
#   break_glass: { role: operator, max_duration: 30m }

# backups:                        # online backups of Rampart's state, kept on a schedule (docs/backup.md); rampart backup
#   every: 6h
#   keep: 28                      # the newest 28 are kept
#   dir: /var/backups/rampart

# api:                            # where the control-plane API listens (docs/remote.md); beyond loopback it needs TLS
#   listen: 0.0.0.0:7700
#   tls: { cert: /etc/rampart/api.crt, key: /etc/rampart/api.key }

# oncall:                         # who is paged for critical alerts (docs/oncall.md); rampart oncall who
#   people: { alice: { email: alice@example.com }, bob: { webhook: https://ntfy.example.com/bob } }
#   schedules:
#     primary: { time_zone: Europe/Berlin, rotation: { every: week, handoff: "Mon 09:00", people: [alice, bob] } }
#   escalation: { default: [ { notify: "schedule:primary", wait: 5m } ], repeat: 2 }

# parity:                         # intended differences that belong to no app: flags, edge limits (docs/parity.md)
#   allow: [flags]
# drills:                         # rehearse rollbacks before you need them (docs/drills.md); rampart drill rollback
#   rollback: { every: 7d, env: staging }   # deploy, roll back, measure under light load; apps: [web] to choose
`;
}

/** A valid project name from anything, e.g. a directory name: "My Shop" → "my-shop". */
export function projectNameFrom(text: string): string {
  const name = text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "");
  return name === "" ? "app" : name;
}
