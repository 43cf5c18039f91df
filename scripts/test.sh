#!/usr/bin/env bash
# The whole test run behind `npm test`:
#   1. the strict type check,
#   2. every spec on SQLite (unit, data layer, engine on the fake and on the ARI simulator, the bot
#      through the local Bot API server),
#   3. the data layer, migrations, engine, database-open errors, leases and the multi-process harness again on a real, throwaway PostgreSQL server,
#   4. the end-to-end suite on a real Asterisk when ASTERISK_BIN is set (it says loudly when it skips,
#      and its tests then count as skipped).
# Ends with one line: "callbot tests: N passed, N failed, N skipped"; a report that is missing counts
# as a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
results=$(mktemp -d "${TMPDIR:-/tmp}/callbot-results.XXXXXX")
trap 'rm -rf "$results"' EXIT

echo "== type check (tsc --strict)"
npx tsc --noEmit -p tsconfig.json
# The Mini App's page is browser code (DOM types), checked with its own settings.
npx tsc --noEmit -p miniapp/web/tsconfig.json

echo "== all specs on SQLite"
sqlite_status=0
# Bounded: a test that leaves a handle open must fail the run, not hang it. Two workers on any
# machine: most specs wait on sockets and timers, and jest's default (one less than the cores) is
# one worker on the two-core CI machine.
timeout 900 npx jest --maxWorkers=2 --json --outputFile="$results/sqlite.json" || sqlite_status=$?

echo "== data layer, migrations, engine (two engines on one database too), do-not-call list, after-call work, scheduled callbacks, leases, server ownership and the three-instance cluster on PostgreSQL"
pg_status=0
# Two workers, as on SQLite: each jest worker resets the schema of its own database on the one
# server (test-database.ts), and the multi-process specs make throwaway databases of their own.
timeout 600 scripts/with-postgres.sh npx jest --maxWorkers=2 --json --outputFile="$results/postgres.json" \
  spec/integration/data-layer.spec.ts spec/integration/call-leg-store.spec.ts spec/integration/call-engine-fake-ari.spec.ts spec/integration/call-engine-storage.spec.ts \
  spec/integration/call-engine-restart.spec.ts \
  spec/integration/call-teardown.spec.ts spec/integration/database-open-errors.spec.ts spec/integration/call-counts.spec.ts \
  spec/integration/call-engine-rules.spec.ts spec/integration/call-engine-recording.spec.ts spec/integration/dnc-store.spec.ts spec/integration/dnc-service.spec.ts spec/integration/agent-service.spec.ts spec/integration/report-store.spec.ts spec/integration/recording-store.spec.ts \
  spec/integration/caller-id-verification.spec.ts spec/integration/lease-store.spec.ts spec/integration/lease.spec.ts \
  spec/integration/server-owner.spec.ts spec/integration/cluster-calls.spec.ts spec/integration/cluster-takeover-parties.spec.ts spec/integration/cluster-parties.spec.ts spec/integration/chat-locks.spec.ts \
  spec/integration/cluster-limits.spec.ts spec/integration/cluster-recording.spec.ts spec/integration/concurrent-writes.spec.ts \
  spec/integration/callback-reminders.spec.ts spec/integration/bot-callbacks.spec.ts \
  spec/integration/call-engine-two-instances.spec.ts spec/integration/cluster-harness-postgres.spec.ts spec/integration/cluster-unreachable.spec.ts spec/integration/fair-share.spec.ts \
  spec/integration/bot-after-call.spec.ts \
  spec/integration/recording-claim.spec.ts \
  spec/integration/return-calls-fake-ari.spec.ts \
  spec/integration/bot-supervision.spec.ts \
  spec/integration/cluster-supervision.spec.ts \
  spec/integration/cluster-supervision-bot.spec.ts \
  spec/integration/supervisor-roster.spec.ts \
  spec/integration/webhook-delivery.spec.ts \
  spec/integration/webhook-rederive-cluster.spec.ts \
  spec/integration/webhook-transfer-restart.spec.ts \
  spec/integration/cluster-request-pruning.spec.ts \
  spec/integration/http-api.spec.ts \
  spec/integration/bot-integration.spec.ts \
  spec/integration/bot-return-calls.spec.ts \
  spec/integration/crm-integration.spec.ts \
  spec/integration/cluster-miniapp-api.spec.ts \
  spec/integration/cluster-api-requests.spec.ts \
  spec/integration/api-rate-counter.spec.ts \
  spec/integration/call-changes.spec.ts \
  spec/integration/cluster-miniapp-transfer.spec.ts \
  spec/integration/cluster-party-requests.spec.ts \
  spec/integration/cluster-return-calls.spec.ts || pg_status=$?

echo "== end-to-end on a real Asterisk"
e2e_status=0
if node -e "process.exit(require('./package.json').scripts['test:e2e'] ? 0 : 1)"; then
  E2E_REPORT="$results/e2e.json" npm run --silent test:e2e || e2e_status=$?
else
  echo "E2E SKIPPED: no test:e2e script in package.json"
  echo '{"passed":0,"failed":0,"skipped":1}' > "$results/e2e.json"
fi

node scripts/test-summary.js "$results/sqlite.json" "$results/postgres.json" "$results/e2e.json"
[ $sqlite_status -eq 0 ] && [ $pg_status -eq 0 ] && [ $e2e_status -eq 0 ]
