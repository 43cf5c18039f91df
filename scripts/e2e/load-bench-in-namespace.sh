#!/usr/bin/env bash
# Runs inside the namespaces scripts/e2e/run-load-bench.sh creates (PID 1 of a new PID namespace,
# in a new network and mount namespace): loopback only, a private resolv.conf, then the bench.
set -uo pipefail

# shellcheck source=scripts/e2e/loopback-only.sh
source "$E2E_ROOT/scripts/e2e/loopback-only.sh"

cd "$E2E_ROOT" || exit 1
node "$E2E_ROOT/dist/bench/asterisk-load-bench.js" "$@"
status=$?
stop_recorded_children
exit "$status"
