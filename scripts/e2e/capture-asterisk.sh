#!/usr/bin/env bash
# npm run capture:asterisk — records real-Asterisk ARI traffic for the scenarios the simulator
# specs replay, as fixtures in spec/fixtures/asterisk-<version>/<scenario>.json.
#
# Needs what the e2e suite needs (ASTERISK_BIN and the rest: see scripts/e2e/lab-prerequisites.sh),
# but a missing prerequisite is an error here, not a skip: nothing is recorded. Runs the recorder
# (spec/e2e/capture/record-captures.ts) in the same loopback-only network namespace as the suite.
# ASTERISK_BUILD_NOTE says in the fixtures' header how ASTERISK_BIN was built; CAPTURE_OUT_DIR
# writes elsewhere. Arguments name the scenarios to record (default: all).
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# Inside the namespace (the second half of this script, below, starts it): record, then clean up.
if [ "${1:-}" = --in-namespace ]; then
  shift
  # shellcheck source=scripts/e2e/loopback-only.sh
  source "$root/scripts/e2e/loopback-only.sh"
  cd "$root" || exit 1
  "$root/node_modules/.bin/ts-node" --transpile-only "$root/spec/e2e/capture/record-captures.ts" "$@"
  status=$?
  stop_recorded_children
  exit "$status"
fi

missing() { echo "capture: cannot record: $*" >&2; exit 1; }
# shellcheck source=scripts/e2e/lab-prerequisites.sh
source "$root/scripts/e2e/lab-prerequisites.sh"
[ -x "$root/node_modules/.bin/ts-node" ] || missing "node_modules/.bin/ts-node is missing: run npm install first"

run_dir=$(mktemp -d "${TMPDIR:-/tmp}/callbot-capture.XXXXXX")
echo "nameserver 127.0.0.1" > "$run_dir/resolv.conf"
: > "$run_dir/pids"
echo "capture: $asterisk_version ($ASTERISK_BIN), $sipp_version_word ($sipp_bin); work directory $run_dir"
export ASTERISK_BIN E2E_RUN_DIR=$run_dir E2E_ASTERISK_MODULES_DIR=$modules E2E_ASTERISK_DATA_DIR=$data \
  E2E_SIPP_BIN=$sipp_bin E2E_SIPP_PCAP_DIR=$pcap_dir E2E_ROOT=$root CAPTURE_SIPP_VERSION=$sipp_version_word

# Hard bound: recording every scenario takes about a minute.
timeout --kill-after=15 300 unshare "${ns_flags[@]}" bash "$root/scripts/e2e/capture-asterisk.sh" --in-namespace "$@"
status=$?
if [ "$status" -eq 0 ]; then
  rm -rf "$run_dir"
else
  echo "capture: FAILED (exit status $status); logs kept in $run_dir (Asterisk console, sipp message traces)" >&2
fi
exit "$status"
