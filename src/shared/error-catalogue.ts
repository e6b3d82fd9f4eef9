/**
 * Every error code Rampart answers or prints, declared once: its HTTP status, what it means, and the default
 * hint (the next thing to do; a throw site may replace it with a more specific one). `RampartError` takes its
 * status from here, the API sends it, the typed client carries the code, the CLI prints message and hint, and
 * docs/errors.md is generated from it (`npm run docs:errors`).
 *
 * `origin` says who produces the code: the control-plane API, the CLI before any request (its status is what
 * the API would answer if the error crossed it; the CLI exits 1), the typed client when no API answer could be
 * read (status 0: there is no HTTP answer of Rampart's), the edge answering an app's users, or the edge's control
 * socket answering the control plane.
 */
export type ErrorOrigin = "api" | "cli" | "client" | "edge" | "edge-control";

export interface ErrorEntry {
  readonly status: number;
  readonly origin: ErrorOrigin;
  readonly meaning: string;
  readonly hint: string;
}

export const errorCatalogue = {
  // The control-plane API (and the services behind it).
  invalid_request: {
    status: 400,
    origin: "api",
    meaning: "The request's params, query, headers or body do not match what the route takes; `details` lists each bad field.",
    hint: "fix the fields listed in details (the OpenAPI document at /api/v1/openapi.json describes every route)",
  },
  invalid_manifest: {
    status: 400,
    origin: "api",
    meaning: "rampart.yaml could not be read or is not valid; the message names the file, line and key path.",
    hint: "fix rampart.yaml where the message points, then run the command again",
  },
  invalid_source: {
    status: 400,
    origin: "api",
    meaning: "The app's source directory cannot be snapshotted into an artifact (missing, unreadable or not a directory).",
    hint: "set apps.<app>.source in rampart.yaml, or pass --source DIR",
  },
  session_ended: {
    status: 401,
    origin: "api",
    meaning:
      "The console session was ended on purpose: the user's roles changed (a role granted or revoked, a just-in-time request granted), their password changed or the user was removed. The message says which and when.",
    hint: "log in again (the console's sign-in page, or rampart login): the new session carries the new roles",
  },
  unauthorized: {
    status: 401,
    origin: "api",
    meaning:
      "The credential is missing, malformed, wrong, expired or revoked (a user or service token, a session, the platform, OTLP or flags SDK token).",
    hint: "the CLI reads the token from RAMPART_TOKEN or the credentials file in the data dir",
  },
  self_approval: {
    status: 403,
    origin: "api",
    meaning: "A change request was approved by the person who made it; protected environments need a second person.",
    hint: "ask another person to run rampart flags approve",
  },
  forbidden: {
    status: 403,
    origin: "api",
    meaning:
      "The caller lacks the route's permission there (the message says why and how to get it), or reviewed an access request it may not.",
    hint: "ask someone the access policy names: rampart access list shows who may approve",
  },
  access_request_closed: {
    status: 409,
    origin: "api",
    meaning: "The access request is no longer pending (approved, denied, expired or revoked), or was already reviewed by this person.",
    hint: "rampart access list shows its state; ask again with rampart access request",
  },
  invalid_bundle: {
    status: 400,
    origin: "api",
    meaning:
      "A source bundle sent for a deploy was refused: a path outside its root, a link out, a size, count or byte that does not match its listing, or not gzip.",
    hint: "pack the source with rampart deploy APP --env ENV --source DIR",
  },
  source_changed: {
    status: 409,
    origin: "cli",
    meaning: "A file of the source changed while `rampart deploy` was packing it.",
    hint: "deploy again once the files stop changing",
  },
  service_failed: {
    status: 500,
    origin: "cli",
    meaning: "systemctl failed while `rampart service install|uninstall` enabled, started or stopped the unit.",
    hint: "journalctl -u rampart -n 50 says why",
  },
  release_failed: {
    status: 409,
    origin: "cli",
    meaning: "`--wait` ended with the release failed or rolled back; the message says why.",
    hint: "the verdict and steps: rampart rollout APP --env ENV; the app's output: rampart logs APP --env ENV --since 15m",
  },
  confirmation_required: {
    status: 400,
    origin: "cli",
    meaning: "`rampart down` would stop a protected environment and there is no terminal to ask on.",
    hint: "add --yes to confirm, or --env ENV to stop another environment",
  },
  not_confirmed: {
    status: 400,
    origin: "cli",
    meaning: "The answer to `rampart down`'s question was not yes; nothing was stopped.",
    hint: "run it again and answer y, or pass --yes",
  },
  edge_not_listening: {
    status: 503,
    origin: "cli",
    meaning: "The release went live, but the edge cannot listen on its environment's port (taken by another process), so nobody is served.",
    hint: "free the port (ss -ltnp shows which process holds it); the edge binds it within 2 s by itself: rampart status",
  },
  api_port_in_use: {
    status: 409,
    origin: "cli",
    meaning:
      "`rampart up` cannot listen on its API address (the port is taken, privileged, or the host is not local); nothing was started.",
    hint: "rampart status shows a running platform; or give this one another address: rampart up --api 127.0.0.1:PORT",
  },
  lock_contended: {
    status: 409,
    origin: "cli",
    meaning: "Another `rampart up` kept taking the data dir's lock while this one tried to.",
    hint: "rampart status shows the running platform; stop it first with rampart down",
  },
  lock_stuck: {
    status: 409,
    origin: "cli",
    meaning: "A takeover marker of the data dir's lock was left by a process killed while it held it.",
    hint: "remove the marker file the message names, then run rampart up again",
  },
  not_found: {
    status: 404,
    origin: "api",
    meaning: "The release, rollout, flag, segment, change request, trace or route named does not exist.",
    hint: "check the name: rampart releases APP --env ENV, rampart flags list and rampart events list what exists",
  },
  unknown_environment: {
    status: 404,
    origin: "api",
    meaning: "The environment is not declared in rampart.yaml.",
    hint: "use one of the environments in rampart.yaml (rampart status lists them)",
  },
  unknown_app: {
    status: 404,
    origin: "api",
    meaning: "The app is not declared in rampart.yaml.",
    hint: "use one of the apps in rampart.yaml (rampart status lists them)",
  },
  already_live: {
    status: 409,
    origin: "api",
    meaning: "The release asked for (a rollback target) is the one already live.",
    hint: "rampart releases APP --env ENV lists the releases to roll back to",
  },
  already_paused: {
    status: 409,
    origin: "api",
    meaning: "The release rollout or flag rollout plan is already paused.",
    hint: "resume it instead: rampart rollout APP --env ENV resume (or rampart flags rollout FLAG --env ENV resume)",
  },
  not_paused: {
    status: 409,
    origin: "api",
    meaning: "A resume was asked for a rollout or flag rollout plan that is not paused.",
    hint: "rampart rollout APP --env ENV status shows where it is",
  },
  no_rollout_in_progress: {
    status: 409,
    origin: "api",
    meaning: "A rollout action (pause, resume, promote, abort) was asked when no rollout is running.",
    hint: "start one: rampart deploy APP --env ENV",
  },
  rollout_in_progress: {
    status: 409,
    origin: "api",
    meaning: "Another rollout of the app in the environment is still running; one runs at a time.",
    hint: "wait for it (rampart rollout APP --env ENV status), or abort it: rampart rollout APP --env ENV abort",
  },
  nothing_to_promote: {
    status: 409,
    origin: "api",
    meaning: "The source environment of a promotion has no live release of the app.",
    hint: "deploy it there first: rampart deploy APP --env ENV --wait",
  },
  nothing_to_roll_back: {
    status: 409,
    origin: "api",
    meaning: "There is no live release to roll back, or no earlier release to roll back to.",
    hint: "rampart releases APP --env ENV lists the releases",
  },
  source_not_healthy: {
    status: 409,
    origin: "api",
    meaning: "The release to promote is not healthy in its source environment.",
    hint: "fix it, or pass --force (recorded in the events)",
  },
  artifact_collected: {
    status: 409,
    origin: "api",
    meaning: "The artifact of the release asked for was garbage-collected (only the newest are kept).",
    hint: "deploy that source again instead",
  },
  flag_exists: {
    status: 409,
    origin: "api",
    meaning: "A flag with that key already exists.",
    hint: "rampart flags get FLAG shows it; pick another key to create a new one",
  },
  flag_killed: {
    status: 409,
    origin: "api",
    meaning: "The flag is killed in the environment, so a rollout would serve nobody.",
    hint: "turn it back on first: rampart flags set FLAG --env ENV --enabled true",
  },
  already_killed: {
    status: 409,
    origin: "api",
    meaning: "The flag is already killed in the environment.",
    hint: "turn it back on with rampart flags set FLAG --env ENV --enabled true",
  },
  stale_change: {
    status: 409,
    origin: "api",
    meaning: "The flag or segment changed since the change (or change request) was made; nothing was applied.",
    hint: "look at rampart flags get FLAG --env ENV and make the change again",
  },
  not_pending: {
    status: 409,
    origin: "api",
    meaning: "The change request was already approved, rejected or applied.",
    hint: "rampart flags requests lists the pending ones",
  },
  segment_in_use: {
    status: 409,
    origin: "api",
    meaning: "The segment is still used by flag rules or other segments, so it cannot be deleted.",
    hint: "remove it from their rules first",
  },
  // Incidents (src/incidents).
  incident_resolved: {
    status: 409,
    origin: "api",
    meaning: "The incident is resolved: its status, roles and timestamps no longer change (notes and the postmortem still do).",
    hint: "open a new incident with rampart incident open, or add a note with rampart incident note ID",
  },
  body_too_large: {
    status: 413,
    origin: "api",
    meaning:
      "The request body is over the API's limit (1 MiB; OTLP ingest has its own larger limit). The rest of the body is read and dropped for up to 5 s, so a client still writing reads this answer; the connection stays open.",
    hint: "send a smaller body (split the batch)",
  },
  url_too_long: {
    status: 414,
    origin: "api",
    meaning: "A path parameter is longer than the router takes (200 characters).",
    hint: "use a shorter name or id",
  },
  unsupported_media_type: {
    status: 415,
    origin: "api",
    meaning: "The body's Content-Type or Content-Encoding is not one the endpoint takes; `details` names the header.",
    hint: "send application/json (OTLP ingest also takes application/x-protobuf, and Content-Encoding gzip)",
  },
  internal: {
    status: 500,
    origin: "api",
    meaning: "A bug in Rampart: the request was valid but something failed that should not have.",
    hint: "look for `api: internal error` in the rampart up log, and report it with that stack",
  },
  data_dir_read_only: {
    status: 503,
    origin: "api",
    meaning: "The data dir is not writable (read-only mount or permissions); nothing was changed.",
    hint: "make it writable for the user running `rampart up` (or remount it read-write) and try again; the apps keep serving meanwhile",
  },
  data_dir_full: {
    status: 507,
    origin: "api",
    meaning: "The data dir's file system is full; nothing was changed.",
    hint: "free space on its file system and try again; the apps keep serving meanwhile",
  },
  // Access: the permission check and the audit log (issue 12, permissions).
  audit_unavailable: {
    status: 503,
    origin: "api",
    meaning: "The request changes or reveals something and its audit record could not be written, so it was refused (fail-closed).",
    hint: "the rampart up log says why the audit record failed (a full or read-only data dir?); fix it and send the request again",
  },

  // The CLI, before any request is sent.
  invalid_option: {
    status: 400,
    origin: "cli",
    meaning: "A command-line option has a value the command does not take.",
    hint: "rampart help COMMAND lists its options and their values",
  },
  invalid_setting: {
    status: 400,
    origin: "cli",
    meaning: "An environment setting of `rampart up` (RAMPART_LOG_RETENTION, RAMPART_LOG_MAX_SIZE, …) is not valid.",
    hint: "fix or unset the variable named in the message, then run rampart up again",
  },
  no_credentials: {
    status: 401,
    origin: "cli",
    meaning: "The CLI found no API token: no credentials file in the data dir and RAMPART_TOKEN is not set.",
    hint: "start the platform with `rampart up` (or pass --data DIR where it runs)",
  },
  exists: {
    status: 409,
    origin: "cli",
    meaning: "The file `rampart init` would write already exists.",
    hint: "edit it, or pass --force to overwrite it",
  },
  already_running: {
    status: 409,
    origin: "cli",
    meaning: "Another `rampart up` holds the data dir.",
    hint: "use that one (rampart status), or stop it first (rampart down)",
  },
  audit_key: {
    status: 503,
    origin: "cli",
    meaning:
      "`rampart up` cannot use the key that signs the audit log's checkpoints: missing and not creatable, unreadable, readable by others, inside the data dir, or not the key this data dir's checkpoints were signed with. Nothing was started.",
    hint: "the message names the file; RAMPART_AUDIT_KEY_FILE points rampart up at the right key file (outside the data dir)",
  },

  // The edge's control socket, answering the control plane (which logs them; they are not shown to users).
  method_not_allowed: {
    status: 405,
    origin: "edge-control",
    meaning: "The control socket endpoint exists but not with this method (PUT /table, GET /stats, GET /health).",
    hint: "a control plane and an edge of different Rampart versions: restart rampart up so both are the same",
  },
  invalid_table: {
    status: 400,
    origin: "edge-control",
    meaning: "The routing table pushed to the edge is not valid JSON or not a valid table; the edge keeps its current one.",
    hint: "a bug in the control plane's table builder, or versions that differ: look at the rampart up log",
  },

  // The typed client, when there is no API answer it can read.
  unreachable: {
    status: 0,
    origin: "client",
    meaning: "The API could not be reached (nothing listens at the address, or the connection failed); there is no HTTP status.",
    hint: "is `rampart up` running? (set --api or RAMPART_API if it listens elsewhere)",
  },
  http_error: {
    status: 0,
    origin: "client",
    meaning: "The answer was not Rampart's error envelope (a proxy in between, or not a Rampart API); the error keeps its HTTP status.",
    hint: "check that --api or RAMPART_API points at the Rampart API (curl URL/api/v1/health)",
  },

  // The edge, answering an app's users when it cannot forward a request.
  bad_request: {
    status: 400,
    origin: "edge",
    meaning: "The request's framing is invalid or ambiguous (several Host headers, Transfer-Encoding in HTTP/1.0, …).",
    hint: "send one well-formed HTTP/1.1 request",
  },
  no_route: {
    status: 404,
    origin: "edge",
    meaning: "No app's routes or hosts match the request.",
    hint: "check the routes and hosts of the apps in rampart.yaml",
  },
  request_timeout: {
    status: 408,
    origin: "edge",
    meaning: "The request (its headers) did not arrive in time.",
    hint: "send the whole request head at once",
  },
  payload_too_large: {
    status: 413,
    origin: "edge",
    meaning: "The request body is over the app's limit (apps.<app>.limits.body).",
    hint: "send a smaller body, or raise the app's limits.body in rampart.yaml",
  },
  rate_limited: {
    status: 429,
    origin: "edge",
    meaning: "Too many requests to the app from this address (apps.<app>.limits.rate).",
    hint: "retry after the Retry-After seconds",
  },
  header_too_large: {
    status: 431,
    origin: "edge",
    meaning: "The request headers are over the edge's limit.",
    hint: "send fewer or smaller headers (large cookies are the usual cause)",
  },
  not_implemented: {
    status: 501,
    origin: "edge",
    meaning: "The request uses a transfer coding the edge does not forward (only chunked is).",
    hint: "send the body with Content-Length or Transfer-Encoding: chunked",
  },
  bad_gateway: {
    status: 502,
    origin: "edge",
    meaning: "The app's instance sent an invalid answer or failed to answer.",
    hint: "rampart logs APP --env ENV shows what the instance printed",
  },
  no_healthy_instance: {
    status: 503,
    origin: "edge",
    meaning: "The app has no healthy instance to send the request to.",
    hint: "rampart status shows the instances; rampart logs APP --env ENV why they are not healthy",
  },
  gateway_timeout: {
    status: 504,
    origin: "edge",
    meaning: "The app's instance did not answer within its upstream timeout.",
    hint: "rampart traces APP --env ENV --slowest shows the slow requests",
  },
  // Issue 13 (ship): a deploy whose build failed.
  build_failed: {
    status: 409,
    origin: "cli",
    meaning: "The release's build failed or timed out, so the release failed before any instance started; the message has its last lines.",
    hint: "the whole build output: rampart logs APP --env ENV --instance ENV.APP.rN.build --limit 10000",
  },
  // Secrets (src/secrets).
  secret_missing: {
    status: 409,
    origin: "api",
    meaning: "A deploy was refused: the app's manifest names secrets (apps.<app>.secrets) that are not set in that environment.",
    hint: "set each one listed: rampart secrets set APP KEY --env ENV < FILE",
  },
  secret_required: {
    status: 409,
    origin: "api",
    meaning: "The secret cannot be unset: the manifest's apps.<app>.secrets requires it.",
    hint: "remove it from apps.<app>.secrets in rampart.yaml first, or set a new value",
  },
  secret_undecryptable: {
    status: 409,
    origin: "api",
    meaning:
      "A stored secret cannot be decrypted: the key-encryption key is missing or is not the one its data key was wrapped with. No instance is started without its secrets.",
    hint: "restore the secrets key file (~/.config/rampart/secrets.key, or RAMPART_SECRETS_KEY_FILE / RAMPART_SECRETS_KEY) from your backup and restart rampart up",
  },
  secrets_key_unreadable: {
    status: 409,
    origin: "api",
    meaning: "The secrets key file (or RAMPART_SECRETS_KEY) cannot be read or does not hold a 32-byte base64 key.",
    hint: "check the file's owner and mode (0600), or restore it from your backup",
  },
  secrets_key_in_environment: {
    status: 409,
    origin: "api",
    meaning: "rotate-key cannot rewrite a key that comes from the RAMPART_SECRETS_KEY variable.",
    hint: "move the key to a key file (RAMPART_SECRETS_KEY_FILE), restart rampart up, then rotate",
  },
  db_query_failed: {
    status: 422,
    origin: "api",
    meaning:
      "The database refused or failed the query: a write in the read-only transaction, the statement timeout, a syntax error. Recorded in the events as db.query.",
    hint: "fix the query; writes are never allowed through rampart db query (it runs in a read-only transaction)",
  },
  db_unreachable: {
    // Not a 5xx: Rampart works; the app's database (or its URL secret) is what the operator must fix.
    status: 409,
    origin: "api",
    meaning: "Rampart could not connect to the app's database with the URL in its url_secret.",
    hint: "check the URL secret (rampart secrets history APP KEY --env ENV) and that the database is up",
  },
  secret_value_in_argv: {
    status: 400,
    origin: "cli",
    meaning: "A secret's value was given on the command line, where shell history and `ps` would keep it.",
    hint: "pipe it on standard input (rampart secrets set APP KEY --env ENV < FILE) or pass --from-file FILE",
  },
  // Identity (issue 12): users, tokens, logins.
  user_exists: {
    status: 409,
    origin: "api",
    meaning: "A user with that name already exists.",
    hint: "rampart user list shows the users; pick another name",
  },
  token_exists: {
    status: 409,
    origin: "api",
    meaning: "A token with that name (of that user, for personal tokens) is already in force.",
    hint: "pick another --name, or revoke the old one: rampart token revoke ID",
  },
  token_revoked: {
    status: 409,
    origin: "api",
    meaning: "The token is already revoked.",
    hint: "rampart token list shows the tokens in force",
  },
  too_many_logins: {
    status: 429,
    origin: "api",
    meaning: "Too many failed logins for this user or from this address in the last 15 minutes; refused without checking the password.",
    hint: "wait for the Retry-After seconds, then log in again",
  },
  // Remote use: the API beyond loopback with TLS, CLI contexts and login (issue 12).
  api_needs_tls: {
    status: 400,
    origin: "cli",
    meaning: "`rampart up` was asked to serve the API beyond loopback without TLS, which would send tokens in the clear.",
    hint: "set api.tls: { cert: FILE, key: FILE } in rampart.yaml, listen on 127.0.0.1, or set api.insecure: true behind a TLS proxy",
  },
  unknown_context: {
    status: 404,
    origin: "cli",
    meaning: "No CLI context has that name (contexts are kept in $XDG_CONFIG_HOME/rampart/contexts.json).",
    hint: "rampart context list shows the contexts; rampart login URL adds one",
  },
  untrusted_certificate: {
    status: 0,
    origin: "client",
    meaning: "The API's TLS certificate is not trusted by the CLI (self-signed, another CA, or another host name).",
    hint: "pass the CA or certificate file: --ca FILE, RAMPART_CA_FILE=FILE, or rampart login URL --ca FILE",
  },
  oidc_not_configured: {
    status: 404,
    origin: "api",
    meaning: "OpenID Connect login is not configured (rampart.yaml access.oidc), or its client secret variable is not set.",
    hint: "add access: { oidc: { issuer, client_id, client_secret_env } } to rampart.yaml and set the secret's variable",
  },
  oidc_state_invalid: {
    status: 400,
    origin: "api",
    meaning: "An OpenID Connect callback or CLI poll names a login that is unknown, already used or expired.",
    hint: "start the login again (rampart login URL --oidc, or /api/v1/auth/oidc/start in a browser)",
  },
  oidc_login_failed: {
    status: 401,
    origin: "api",
    meaning:
      "The OpenID Connect provider refused the login, or its answer failed a check (code, ID token signature, issuer, audience, nonce, expiry).",
    hint: "start the login again; the message names the check that failed",
  },
  // Issue 15 (checks): a job reporting in for a heartbeat rampart.yaml does not declare.
  unknown_heartbeat: {
    status: 404,
    origin: "api",
    meaning: "The heartbeat named is not declared for that app in rampart.yaml (apps.<app>.heartbeats).",
    hint: "rampart checks --app APP lists the declared checks and heartbeats; declare it under apps.<app>.heartbeats",
  },
  heartbeat_url_invalid: {
    status: 403,
    origin: "api",
    meaning:
      "A heartbeat ping URL's token does not match the heartbeat it names: altered, for another heartbeat, or from before the link-signing key changed.",
    hint: "print the URL again: rampart checks heartbeat-url APP NAME --env ENV",
  },
  // Issue 15 (on-call): signed action links in notifications.
  action_link_invalid: {
    status: 403,
    origin: "api",
    meaning: "An action link's signature does not hold: it was altered, truncated, or signed by another installation.",
    hint: "use the link as the notification sent it, or act from the CLI (rampart alerts ack FINGERPRINT)",
  },
  action_link_expired: {
    status: 410,
    origin: "api",
    meaning: "An action link is past its expiry (links last an hour).",
    hint: "act from the CLI: rampart alerts ack FINGERPRINT, rampart rollback APP --env ENV, or rampart flags kill FLAG --env ENV",
  },
  action_link_used: {
    status: 409,
    origin: "api",
    meaning: "An action link was already used: each link acts once.",
    hint: "check what happened with rampart events --since 1h; act again from the CLI if needed",
  },
  // Issue 20 (backups): the backup could not be written (disk full, backups dir not writable); restore refusals.
  backup_failed: {
    status: 500,
    origin: "api",
    meaning: "The control plane could not write the backup (the backups dir is missing, not writable or full); recorded as backup.failed.",
    hint: "check the backups dir (rampart.yaml backups.dir, else DATA/backups) is writable and has room, then run rampart backup again",
  },
  restore_refused: {
    status: 400,
    origin: "cli",
    meaning: "rampart restore refused: the target data dir is not empty, or the archive is not a Rampart backup or fails its checksums.",
    hint: "restore into a new, empty data dir: rampart restore FILE --data NEW_DIR",
  },
  // Issue 20 (load tests): a load test against a protected environment without --allow-production, or off loopback.
  loadtest_refused: {
    status: 403,
    origin: "api",
    meaning:
      "A load test against a protected environment needs --allow-production (permission platform.manage, audited); one whose edge is not on loopback is refused.",
    hint: "run it in staging: rampart loadtest APP --env staging; or add --allow-production",
  },
  // Issue 20 (readiness): the first deploy of an app to a protected environment with a required readiness check failing.
  readiness_failed: {
    status: 409,
    origin: "api",
    meaning:
      "The first deploy (or promotion) of an app to a protected environment is refused until every readiness check rampart.yaml requires there passes; `details.failing` names each with why and its fix.",
    hint: "fix each failing check (rampart readiness APP --env ENV shows them with their commands), or deploy with --override-readiness --reason TEXT (permission readiness.override, audited)",
  },
  readiness_not_gated: {
    status: 409,
    origin: "api",
    meaning:
      "A readiness override was asked for a deploy that is not gated: the environment is not protected, or the app already has a release there (only the first one is gated).",
    hint: "deploy without --override-readiness: rampart deploy APP --env ENV",
  },
  // Issue 20 (rollback drills): refused in a protected environment, one already running, nothing live to drill.
  drill_refused: {
    status: 403,
    origin: "api",
    meaning: "A rollback drill in a protected environment needs --allow-production (permission drill.protected, audited).",
    hint: "drill in staging: rampart drill rollback APP --env staging; or add --allow-production",
  },
  drill_running: {
    status: 409,
    origin: "api",
    meaning: "A rollback drill of this app in this environment is already running; one at a time.",
    hint: "wait for it: rampart drill rollback APP --env ENV --history",
  },
  nothing_to_drill: {
    status: 409,
    origin: "api",
    meaning: "The app has no live release in the environment: a rollback drill deploys the live artifact again, then rolls back.",
    hint: "deploy it first: rampart deploy APP --env ENV --wait",
  },
  // Issue 20 (plan/apply): rampart.yaml changed between plan and apply.
  plan_changed: {
    status: 409,
    origin: "api",
    meaning:
      "rampart apply was given the plan it should carry out, and rampart.yaml or the running state changed since: nothing was applied.",
    hint: "run rampart plan again, review it, then rampart apply",
  },
  // Issue 18 (gateway): authentication at the edge (apps.<app>.auth).
  auth_required: {
    status: 401,
    origin: "edge",
    meaning: "The app requires credentials (apps.<app>.auth) and the request had none, or a token or API key the edge refused.",
    hint: "send Authorization: Bearer <token> from the app's issuer, or an API key made with rampart apikeys create APP --env ENV",
  },
  auth_forbidden: {
    status: 403,
    origin: "edge",
    meaning: "The token is valid but lacks a claim the app requires (apps.<app>.auth.jwt.required_claims).",
    hint: "ask the token's issuer for a token with the required claims; rampart.yaml lists them under the app's auth.jwt",
  },
  api_key_exists: {
    status: 409,
    origin: "api",
    meaning: "The app already has an active API key with this name in the environment.",
    hint: "pick another --name, or revoke the old key first: rampart apikeys revoke APP NAME --env ENV",
  },
  auth_unavailable: {
    status: 503,
    origin: "edge",
    meaning: "The edge cannot load the app's signing keys (JWKS file or URL), so it cannot check tokens.",
    hint: "check the JWKS in apps.<app>.auth.jwt.jwks is readable or reachable from the edge; the edge log says why: DATA/logs/edge.log",
  },
  // Issue 15 (RUM): the edge refusing a real-user-monitoring beacon (src/edge/rum-beacon.ts).
  rum_forbidden: {
    status: 403,
    origin: "edge",
    meaning:
      "A RUM beacon came from another site (its Origin is not the page's host), or its token was not signed by this edge for this environment and app, or has expired.",
    hint: "beacons are sent by the /_rampart/rum.js script the edge puts in pages of apps with rum: true; reload the page",
  },
  rum_method_not_allowed: {
    status: 405,
    origin: "edge",
    meaning: "The RUM beacon endpoint takes POST, its script GET.",
    hint: "send beacons with navigator.sendBeacon('/_rampart/rum', body)",
  },
  // Issue 17 (console, postmortem editor): two people editing one postmortem at once.
  postmortem_changed: {
    status: 409,
    origin: "api",
    meaning: "Someone saved the postmortem after this edit began (the edit's ifEditedAt is not the saved one's time); nothing was saved.",
    hint: "read theirs (rampart postmortem show ID, or reload the incident in the console) and make the edit again on top of it",
  },
} as const satisfies Record<string, ErrorEntry>;

export type ErrorCode = keyof typeof errorCatalogue;

/** The codes the edge answers with (its data-plane error pages). */
export type EdgeErrorCode = { [C in ErrorCode]: (typeof errorCatalogue)[C]["origin"] extends "edge" ? C : never }[ErrorCode];

/** The codes whose status is 409, the ones `conflict()` takes. */
export type ConflictCode = { [C in ErrorCode]: (typeof errorCatalogue)[C]["status"] extends 409 ? C : never }[ErrorCode];

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(errorCatalogue, code);
}
