#!/usr/bin/env bash
# Runs inside the namespaces scripts/e2e/run-e2e.sh creates (PID 1 of a new PID namespace, in a
# new network and mount namespace): loopback only, a private resolv.conf, a throwaway PostgreSQL on
# 127.0.0.1 (scripts/with-postgres.sh; the cluster scenario's instances share it), then jest.
set -uo pipefail

if [ "${1:-}" = --jest ]; then
  # Under with-postgres.sh: jest, ended if it outlives its summary by 20 s. The server is handed on
  # as E2E_POSTGRES_URL only: under TEST_DATABASE_URL the in-jest app of the other specs would leave
  # SQLite for it (spec/support/test-database.ts).
  shift
  export E2E_POSTGRES_URL=${TEST_DATABASE_URL:-}
  unset TEST_DATABASE_URL
  cd "$E2E_ROOT" || exit 1
  "$E2E_ROOT/node_modules/.bin/jest" --config "$E2E_ROOT/spec/e2e/jest.e2e.config.js" "$@" &
  jest_pid=$!
  # Jest waits for open handles before it exits; a leak must not hold the run until the hard timeout.
  after_summary=0
  while kill -0 "$jest_pid" 2>/dev/null; do
    if [ -s "$E2E_RUN_DIR/summary" ]; then
      after_summary=$((after_summary + 1))
      if [ "$after_summary" -ge 100 ]; then
        echo "e2e: WARNING: jest did not exit 20 s after its summary (a handle left open); stopping it (pid $jest_pid)" >&2
        kill -TERM "$jest_pid" 2>/dev/null; sleep 1; kill -KILL "$jest_pid" 2>/dev/null
        break
      fi
    fi
    sleep 0.2
  done
  wait "$jest_pid"
  status=$?
  if [ "$after_summary" -ge 100 ]; then
    grep -q ' 0 failed$' "$E2E_RUN_DIR/summary" && status=0 || status=1
  fi
  exit "$status"
fi

# shellcheck source=scripts/e2e/loopback-only.sh
source "$E2E_ROOT/scripts/e2e/loopback-only.sh"

bash "$E2E_ROOT/scripts/with-postgres.sh" bash "$E2E_ROOT/scripts/e2e/in-namespace.sh" --jest "$@"
status=$?

stop_recorded_children
exit "$status"
