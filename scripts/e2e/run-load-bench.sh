#!/usr/bin/env bash
# npm run bench:asterisk-load — callbot's capacity on a real Asterisk, with sipp as the providers
# (bench/asterisk-load-bench.ts). Needs what the e2e suite needs (see scripts/e2e/run-e2e.sh):
# without ASTERISK_BIN it says so in one line and exits 0; any other missing prerequisite is an
# error. Asterisk, both sipp providers, the app and the bench run in the e2e suite's kind of
# namespace: loopback only, a private /etc/resolv.conf naming 127.0.0.1 (pjproject opens resolver
# sockets at start-up), one PID namespace that ends whatever is left. Extra arguments go to the bench.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
if [ -z "${ASTERISK_BIN:-}" ]; then
  echo "bench:asterisk-load needs ASTERISK_BIN (an Asterisk 18.9+ binary, e.g. ASTERISK_BIN=/opt/asterisk-22/sbin/asterisk); nothing was run"
  exit 0
fi
missing() { echo "bench:asterisk-load: cannot run: $*" >&2; exit 1; }
# shellcheck source=scripts/e2e/lab-prerequisites.sh
source "$root/scripts/e2e/lab-prerequisites.sh"

# The app runs as deployed (node dist/app/main.js) and the bench from dist/bench: build both.
(cd "$root" && ./node_modules/.bin/tsc -p tsconfig.build.json && ./node_modules/.bin/tsc -p bench/tsconfig.json) \
  || { echo "bench:asterisk-load: the app or the bench did not build" >&2; exit 1; }

run_dir=$(mktemp -d "${TMPDIR:-/tmp}/callbot-load.XXXXXX")
echo "nameserver 127.0.0.1" > "$run_dir/resolv.conf"
: > "$run_dir/pids"
echo "bench:asterisk-load: $asterisk_version ($ASTERISK_BIN), $sipp_version_word ($sipp_bin); work directory $run_dir"
export ASTERISK_BIN E2E_RUN_DIR=$run_dir E2E_ASTERISK_MODULES_DIR=$modules E2E_ASTERISK_DATA_DIR=$data \
  E2E_SIPP_BIN=$sipp_bin E2E_SIPP_PCAP_DIR=$pcap_dir E2E_ROOT=$root

# Hard bound: the default steps take about ten minutes.
timeout --kill-after=15 3600 unshare "${ns_flags[@]}" bash "$root/scripts/e2e/load-bench-in-namespace.sh" "$@"
status=$?
if [ "$status" -eq 0 ] && [ -z "${BENCH_KEEP_LOGS:-}" ]; then
  rm -rf "$run_dir"
else
  echo "bench:asterisk-load: logs kept in $run_dir (Asterisk console, sipp message traces, app log)"
fi
exit "$status"
