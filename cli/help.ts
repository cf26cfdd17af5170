/**
 * The CLI's help texts: one per command (`moe <command> --help`) and the overview (`moe --help`).
 * docs/operations.md lists the same flags; test/integration/cli.conventions.test.ts checks that
 * every flag in this help appears there.
 */

export const COMMAND_HELP: Readonly<Record<string, string>> = {
  up: `usage: moe up [--demo] [--exit] [--data-dir DIR] [--nats URL] [--port N] [--host H]
              [--no-gateway] [--supervisor-port N] [--no-supervisor]

Run the platform in one process: NATS (the server at --nats when it answers with JetStream,
else a local nats-server with its store in <data dir>/nats), a workspace-node, the gateway and
the supervisor dashboard. Runs until Ctrl-C.

  --demo               run the sample task (a coordinator and two experts) and print its result;
                       the demo starts its own nats-server unless --nats or NATS_URL is set
  --exit               with --demo: stop when the demo ends (the default when stdout is not a
                       terminal); without it the platform stays up until Ctrl-C
  --data-dir DIR       local data (MOE_DATA_DIR, default ./.moe)
  --nats URL           NATS server (NATS_URL, default nats://127.0.0.1:4222)
  --port N             gateway port (MOE_PORT, default 8080; 0 = any free port)
  --host H             address the gateway and dashboard listen on (MOE_HOST, default 127.0.0.1)
  --no-gateway         do not start the gateway
  --supervisor-port N  dashboard port (MOE_SUPERVISOR_PORT, default 8090; 0 = any free port)
  --no-supervisor      do not start the supervisor`,
  gateway: `usage: moe gateway [--port N] [--host H] [--nats URL]

Run the REST/WebSocket gateway on its own.

  --port N     listen port (MOE_PORT, default 8080)
  --host H     listen address (MOE_HOST, default 0.0.0.0)
  --nats URL   NATS server (NATS_URL, default nats://127.0.0.1:4222)

env: MOE_JWT_SECRET (unset: a random secret, tokens end with the process), MOE_CORS_ORIGINS (web
     origins whose pages may call the API, comma-separated, or *; unset: none), MOE_OPERATORS,
     MOE_METRICS_TOKEN; see docs/operations.md`,
  supervisor: `usage: moe supervisor [--port N] [--host H] [--nats URL]

Run a supervisor: node liveness, release of dead nodes' leases, dashboard.

  --port N     dashboard port (MOE_SUPERVISOR_PORT, default 8090)
  --host H     dashboard address (MOE_HOST, default 127.0.0.1)
  --nats URL   NATS server (NATS_URL, default nats://127.0.0.1:4222)`,
  node: `usage: moe node [--data-dir DIR] [--nats URL] [--id ID] [--http-port N|off] [--http-host H]
       moe node drain <id> [--timeout MS] [--json] [--nats URL]
       moe node undrain <id> [--json] [--nats URL]
       moe node list [--json] [--nats URL]

Run one workspace-node. SIGTERM or Ctrl-C drains it first (its workspaces are handed to other
nodes), then it stops; a second signal stops it at once.

  --data-dir DIR   local data (MOE_DATA_DIR, default ./.moe)
  --nats URL       NATS server (NATS_URL, default nats://127.0.0.1:4222)
  --id ID          node id (MOE_NODE_ID, default node-<hostname>-<pid>)
  --http-port N    /healthz, /readyz, /metrics (MOE_NODE_HTTP_PORT, default 9464; off: none; 0: any free)
  --http-host H    their address (MOE_NODE_HTTP_HOST, default 127.0.0.1)

moe node drain: hand every workspace of a running node to the others (new commands go back to the
stream, started effects finish, leases are released) and print the progress; exit 0 when the node
hosts nothing. The node stays up and takes no new workspace until undrained or restarted.

  --timeout MS     give up after MS (default 300000): MOE_ERR_DRAIN_TIMEOUT, exit 1
  --json           print the result as JSON

moe node undrain: let a drained node take workspaces again.
moe node list: the nodes with a heartbeat: hosted workspaces, draining, heartbeat age.`,
  task: `usage: moe task "<prompt>" --org O --workspace W [--project P] [--wait] [--json] [--session S]
                [--id ID] [--timeout MS] [--nats URL]

Submit a task over NATS; with --wait, follow its journal and print the outcome (exit 0 when it
completed).

  --org O, --workspace W   where the task runs
  --project P              run it in gateway project P of workspace W (listed and billed there)
  --wait                   wait for the outcome
  --json                   print JSON (errors too: {"error":{"code","message"}} on stdout)
  --session S              session of the task
  --id ID                  task id (default t-<random>)
  --timeout MS             how long --wait waits (default 120000)
  --nats URL               NATS server (NATS_URL, default nats://127.0.0.1:4222)`,
  search: `usage: moe search "<query>" --org O --workspace W [--session S] [--agent A] [--kind K]
                  [--from TIME] [--to TIME] [--level L,...] [--limit N] [--offset N] [--json]
                  [--timeout MS] [--nats URL]

Full-text search of a workspace's session logs, best match first, matched words marked. The node
hosting the workspace answers (moe.api.<org>.<ws>.search). The query is FTS5 syntax: words (all
must match), "a phrase", OR, NOT, prefix*, NEAR(a b, 5), column:word (session, actor, kind, text).

  --org O, --workspace W   the workspace to search
  --session S              only turns logged in session S
  --agent A                only turns of the actor with id A (an agent, coordinator, session, ...)
  --kind K                 only turns of actors of kind K (agent, coordinator, session, ...)
  --from TIME, --to TIME   only turns at or after / before TIME (ISO 8601 or ms since epoch)
  --level L,...            only these levels: debug, info, warn, error
  --limit N, --offset N    page size (default 20, at most 100) and hits to skip
  --json                   print the page as JSON (errors too: {"error":{"code","message"}} on stdout)
  --timeout MS             how long to wait for the node (default 10000)
  --nats URL               NATS server (NATS_URL, default nats://127.0.0.1:4222)

A query FTS5 cannot parse exits 1 with MOE_ERR_SEARCH_QUERY; no node hosting the workspace with
MOE_ERR_SEARCH_UNAVAILABLE.`,
  usage: `usage: moe usage --org O | --workspace W [--from TIME] [--to TIME] [--group-by G] [--suggestions]
                 [--json] [--gateway URL] [--token T] [--timeout MS]

Usage analytics from the gateway: calls, runs, tokens, cost (what providers charge), price (what
the customer pays) and margin (price - cost), per project/agent/provider/model or grouped, over a
range. Money is exact: the gateway answers integer micro-dollars (µ$), printed here in dollars.

  --org O                  every workspace of org O (GET /api/usage)
  --workspace W            one workspace (GET /api/workspaces/W/usage)
  --from TIME, --to TIME   calls at or after / before TIME (ISO 8601 or ms since epoch; whole UTC hours)
  --group-by G             one line per provider, agent, project, model or day (UTC)
  --suggestions            cost suggestions for --workspace W, each with its estimated saving
  --json                   print the gateway's answer as JSON (errors too: {"error":{"code","message"}} on stdout)
  --gateway URL            the gateway (MOE_GATEWAY_URL, default http://127.0.0.1:8080)
  --token T                bearer token: a login token or an API key (MOE_TOKEN)
  --timeout MS             how long to wait for the gateway (default 10000)

Errors the gateway answers keep their code (MOE_ERR_NOT_FOUND for a workspace you cannot see); no
gateway at the URL exits 1 with MOE_ERR_GATEWAY_UNREACHABLE.`,
  invoices: `usage: moe invoices --workspace W [--json] [--gateway URL] [--token T] [--timeout MS]
       moe invoices --id INV [--csv | --json] [--gateway URL] [--token T] [--timeout MS]

A workspace's invoices, issued by its billing actor once per period (docs/billing.md): the list
(period, amount due, price, cost, margin, delivery: not_sent, sent, paid or failed), or one invoice
with its lines. Money is exact: the gateway answers integer micro-dollars (µ$), printed in dollars.

  --workspace W            the invoices of workspace W, newest first (GET /api/workspaces/W/invoices)
  --id INV                 one invoice, e.g. inv-<org>.<ws>-2026-11 (GET /api/invoices/INV)
  --csv                    with --id: the invoice's CSV export, as the gateway serves it
  --json                   print the gateway's answer as JSON (errors too: {"error":{"code","message"}} on stdout)
  --gateway URL            the gateway (MOE_GATEWAY_URL, default http://127.0.0.1:8080)
  --token T                bearer token: a login token or an API key (MOE_TOKEN)
  --timeout MS             how long to wait for the gateway (default 10000)

Errors the gateway answers keep their code (MOE_ERR_NOT_FOUND for an invoice you cannot see); no
gateway at the URL exits 1 with MOE_ERR_GATEWAY_UNREACHABLE.`,
  budgets: `usage: moe budgets [list] --org O | --workspace W | --project P [--json]
       moe budgets set --org O | --workspace W | --project P --limit-usd N [--period P] [--thresholds 50,80,100]
       moe budgets remove --org O | --workspace W | --project P
       (each also takes [--json] [--gateway URL] [--token T] [--timeout MS])

Budgets: the customer price a scope may spend per period, enforced by the nodes' cluster-wide
limiter; alerts fire once per threshold per period (docs/billing.md). Money in dollars, exact.

  list                     the budget of the scope; with --org O also every budget set on its
                           workspaces and projects (GET …/budget)
  set                      set the scope's budget (org admin; PUT …/budget); the period's usage stays
  remove                   remove it (org admin; DELETE …/budget); the period's usage stays counted
  --org O | --workspace W | --project P   the scope (exactly one)
  --limit-usd N            with set: the limit in dollars (up to 6 decimals, e.g. 25 or 12.5)
  --period P               with set: month (UTC calendar month, default), day (UTC) or total
  --thresholds LIST        with set: alert thresholds in % of the limit (default 50,80,100)
  --json                   print the gateway's answer as JSON (errors too: {"error":{"code","message"}} on stdout)
  --gateway URL            the gateway (MOE_GATEWAY_URL, default http://127.0.0.1:8080)
  --token T                bearer token: a login token or an API key (MOE_TOKEN)
  --timeout MS             how long to wait for the gateway (default 10000)

Errors the gateway answers keep their code (MOE_ERR_FORBIDDEN without the admin role,
MOE_ERR_NOT_FOUND for a scope you cannot see, MOE_ERR_VALIDATION for a body it refuses); no gateway
at the URL exits 1 with MOE_ERR_GATEWAY_UNREACHABLE.`,
  webhooks: `usage: moe webhooks [list] --org O [--json]
       moe webhooks add --org O --url U [--events budget.alert,actor.escalated]
       moe webhooks remove --org O --id HOOK
       moe webhooks deliveries --org O [--id HOOK] [--limit N]
       (each also takes [--json] [--gateway URL] [--token T] [--timeout MS])

An org's webhook endpoints (org admins). Each delivery is signed with the endpoint's secret
(HMAC-SHA256 over "<timestamp>.<body>"; docs/billing.md says how to verify it) and retried with
backoff until delivered or dead.

  list                     the org's endpoints (no secrets; GET /api/orgs/O/webhooks)
  add                      register --url (http or https); prints the signing secret, the only time
                           it is shown (POST /api/orgs/O/webhooks)
  remove                   remove endpoint --id HOOK; its pending deliveries are dropped
  deliveries               the delivery log, newest first, every attempt (status, HTTP answer, time);
                           --id HOOK keeps one endpoint's, --limit N reads the newest N (default 100)
  --events LIST            with add: event types to send, comma-separated (default all: budget.alert,actor.escalated)
  --json                   print the gateway's answer as JSON (errors too: {"error":{"code","message"}} on stdout)
  --gateway URL            the gateway (MOE_GATEWAY_URL, default http://127.0.0.1:8080)
  --token T                bearer token: a login token or an API key (MOE_TOKEN)
  --timeout MS             how long to wait for the gateway (default 10000)

Errors the gateway answers keep their code (MOE_ERR_WEBHOOK_URL for a URL it refuses,
MOE_ERR_NOT_FOUND for an unknown endpoint, MOE_ERR_FORBIDDEN without the admin role); no gateway at
the URL exits 1 with MOE_ERR_GATEWAY_UNREACHABLE.`,
  backup: `usage: moe backup <org>/<workspace> [--force] [--wait] [--json] [--timeout MS] [--nats URL]
       moe backup list <org>/<ws> [--json]
       moe backup verify <org>/<ws> [--id ID] [--json]
       moe backup prune <org>/<ws> [--keep-last N] [--keep-within DURATION] [--deleted-keep DURATION]
                        [--dry-run] [--json]

moe backup <org>/<workspace>: ask the workspace's backup actor for a backup now (over NATS; a
workspace-node runs it). Skipped when nothing changed since the last backup, unless --force. With
--wait, wait for its outcome (exit 0 on backup.completed or backup.skipped, 1 on backup.failed).

  --force        back up even when nothing changed
  --wait         wait for the outcome (--timeout MS, default 300000)
  --json         print JSON
  --nats URL     NATS server (NATS_URL, default nats://127.0.0.1:4222)

moe backup list|verify: read a workspace's backups from the object store (MOE_STORAGE_PRIMARY,
default <MOE_DATA_DIR>/backups; MOE_STORAGE_MIRROR), under the prefix workspaces/<org>/<ws>/.
Needs no NATS.

  list     every backup, oldest first
  verify   restore a backup into a temp dir, check every sha256, run integrity_check on every
           database and replay every session log; exit 0 when sound, 1 with each problem's code
  --id ID  the backup to verify (default the latest)
  --json   print the result as JSON

moe backup prune: apply a retention policy to a workspace's backups. Deletes the manifests of the
backups the policy drops first, then every object no remaining backup lists; an object a kept
backup lists is never deleted, and a crash at any point leaves every kept backup restorable. A
backup is kept when any rule keeps it; the newest backup of a live workspace is always kept.
Without --keep-last and --keep-within, both defaults apply (the newest 10, and the last 7 days).

  --keep-last N             keep the newest N backups (N >= 1)
  --keep-within DURATION    keep every backup younger than DURATION (s, m, h, d, w: 36h, 7d, 2w)
  --deleted-keep DURATION   a deleted workspace's backups are kept this long after its deletion,
                            then all are deleted (default 30d)
  --dry-run                 print what would be deleted, delete nothing
  --json                    print the result as JSON (progress goes to stderr)`,
  replay: `usage: moe replay <session.jsonl> [--db sessions.db] [--json]

Rebuild state from a session log and compare it with the stored snapshots (exit 0 when equal).

  --db FILE   the sessions.db to compare with (default ../db/sessions.db next to the log)
  --json      print the report as JSON`,
  creds: `usage: moe creds init|issue|revoke|push|list [--dir DIR] [--org O] [--user UKEY] [--out FILE] [--nats URL]

Per-org NATS credentials (decentralized JWT auth; docs/deploy.md, "Per-org NATS credentials").

  init         create the auth directory: operator, system and MOE account keys, the server's
               config include (nats-auth.conf) and the services' creds (creds/<service>.creds)
  issue        write a .creds file for --org O (to --out FILE, else stdout), confined to the org's
               subjects; the client connects with inboxPrefix _INBOX_<org>
  revoke       revoke --user UKEY, or every credential of --org O, on the running server at once
  push         send the MOE account JWT (its revocations) to the server again
  list         the issued credentials (of --org O), revoked ones marked

  --dir DIR    the auth directory (MOE_NATS_AUTH_DIR, default ./moe-nats-auth); keep it secret
  --org O      the org
  --user UKEY  one credential's public key (U…), as issue and list print it
  --out FILE   where issue writes the .creds file (mode 0600)
  --nats URL   NATS server for revoke and push (NATS_URL, default nats://127.0.0.1:4222)`,
  reproject: `usage: moe reproject <workspace dir> [--json]

Rebuild messages.db, parsed_sessions.db, metrics.db and workspace.db's backup catalogue from the
workspace's session logs (fills what is missing, never doubles a row).

  --json   print the report as JSON`,
  restore: `usage: moe restore <org>/<workspace> [--backup ID | --at TIME] --to DIR [--json]

Download a backup of the workspace from the object store (MOE_STORAGE_PRIMARY, default
<MOE_DATA_DIR>/backups; read through MOE_STORAGE_MIRROR first when set) into DIR: db/, sessions/,
files/, every object checked against its sha256. A copy that is missing or corrupt is read from
the other copy and then repaired. Progress goes to stderr. Needs no NATS.

  --backup ID  the backup to restore (moe backup list shows the ids; default the latest)
  --at TIME    the newest backup taken at or before TIME: ISO 8601 (2026-12-03T04:00:00Z; UTC
               unless a zone is given) or a duration ago (90s, 30m, 2h, 7d)
  --to DIR     where to restore: must not exist or be empty; removed again if the restore fails
  --json       print the result as JSON`,
};

export const USAGE = `usage: moe <command> [options]      (moe <command> --help for its options)

  up          run the platform: NATS, a workspace-node, the gateway and the supervisor dashboard
              (--demo runs a sample task first)
  gateway     run the REST/WebSocket gateway
  supervisor  run a supervisor: node liveness, lease repair, dashboard
  node        run a workspace-node; drain, undrain or list nodes (node drain <id>)
  task        submit a task over NATS (and wait for its result)
  search      full-text search of a workspace's session logs (ranked, filtered)
  usage       usage, cost, price and margin from the gateway (grouped, over a range; --suggestions)
  invoices    a workspace's invoices, or one invoice with its lines or as CSV, from the gateway
  budgets     list, set or remove budgets of an org, workspace or project (through the gateway)
  webhooks    an org's webhook endpoints: list, add (prints the secret), remove, delivery log
  backup      back a workspace up now; list, verify or prune its backups (backup list|verify|prune)
  replay      rebuild state from a session log and compare it with the stored snapshots
  reproject   rebuild a workspace's projections from its session logs
  restore     download a workspace's backup into a directory (restore <org>/<ws> --to DIR)
  creds       per-org NATS credentials: init, issue --org O, revoke, push, list

  --help, -h      this help          --version, -v   the version

env: NATS_URL (nats://127.0.0.1:4222), MOE_DATA_DIR (./.moe; never on FUSE), MOE_FILES_ROOT
     (unset: files in the data dir), MOE_PORT (8080), MOE_SUPERVISOR_PORT (8090), MOE_HOST,
     MOE_JWT_SECRET, MOE_GATEWAY_SNAPSHOT_MS (300000), MOE_LOG_LEVEL, MOE_REPLICAS (1), MOE_NATS_CREDS,
     MOE_NATS_AUTH_DIR (./moe-nats-auth), MOE_GATEWAY_URL, MOE_TOKEN; see
     docs/operations.md
exit: 0 ok, 1 failure, 2 bad command line or configuration (MOE_ERR_USAGE, MOE_ERR_CONFIG)`;
