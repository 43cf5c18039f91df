#!/usr/bin/env bash
# Runs inside the namespaces scripts/e2e/run-e2e.sh creates (PID 1 of a new PID namespace, in a
# new network and mount namespace): loopback only, a private resolv.conf, then jest.
set -uo pipefail

# shellcheck source=scripts/e2e/loopback-only.sh
source "$E2E_ROOT/scripts/e2e/loopback-only.sh"

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

stop_recorded_children
exit "$status"
