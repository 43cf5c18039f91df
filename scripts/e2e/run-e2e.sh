#!/usr/bin/env bash
# npm run test:e2e — the end-to-end suite against a real Asterisk, with sipp as the SIP providers.
#
# Needs: ASTERISK_BIN (an Asterisk 18.9+ binary; modules from ASTERISK_MODULES_DIR or
# <prefix>/lib/asterisk/modules, data files from ASTERISK_DATA_DIR or <prefix>/var/lib/asterisk),
# sipp with pcap play support and its RTP pcaps (SIPP_PCAP_DIR to point at them), and permission
# to create namespaces (`unshare -n`), and PostgreSQL's server binaries (the cluster scenario's
# instances share a throwaway PostgreSQL that scripts/with-postgres.sh starts inside the namespace;
# PostgreSQL refuses to run as root, so as root it runs as the `postgres` user). When something is missing it says exactly what, in one
# line starting with "E2E SKIPPED:", and exits 0 without running jest: a skip is never a pass.
#
# Asterisk, both sipp providers and the Node test process run together in one network namespace
# that has only loopback, with /etc/resolv.conf replaced by one naming 127.0.0.1 (pjproject opens
# resolver sockets at start-up), and in one PID namespace: whatever is still running when the suite
# ends is stopped with it. Extra arguments go to jest (e.g. -t 'target busy').
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# E2E_REPORT (set by scripts/test.sh): where to write {"passed","failed","skipped"} for the closing
# count. A skip reports the e2e tests it did not run as skipped, never as passed; a run reports what
# jest's summary said, and a run that left no summary reports one failure.
report() { [ -z "${E2E_REPORT:-}" ] || printf '{"passed":%d,"failed":%d,"skipped":%d}\n' "$1" "$2" "$3" > "$E2E_REPORT"; }
skip() {
  echo "E2E SKIPPED: $*"
  # The tests the suite holds (one it()/test() call a line in spec/e2e/*.e2e.ts), at least one.
  local count
  count=$(cat "$root"/spec/e2e/*.e2e.ts 2>/dev/null | grep -cE '^\s*(it|test)(\.[a-z]+)?\(' || true)
  report 0 0 "$(( ${count:-0} > 0 ? count : 1 ))"
  exit 0
}

# ---- prerequisites -------------------------------------------------------------------------
missing() { skip "$@"; }
# shellcheck source=scripts/e2e/lab-prerequisites.sh
source "$root/scripts/e2e/lab-prerequisites.sh"
[ -x "$root/node_modules/.bin/jest" ] || skip "node_modules/.bin/jest is missing: run npm install first"
pg_missing=$(bash "$root/scripts/with-postgres.sh" --check 2>&1) \
  || skip "${pg_missing#with-postgres: } (the cluster scenario needs a throwaway PostgreSQL)"
# Not root, the namespace maps the user to root, whom PostgreSQL refuses, with no `postgres` user to switch to.
[ "$(id -u)" = 0 ] || skip "PostgreSQL cannot run in the lab's namespace without root (the cluster scenario needs it): run the suite as root"
version=$asterisk_version

# ---- run -------------------------------------------------------------------------------------
# The answer-gap scenario also runs the app as deployed (node dist/app/main.js): build it first.
(cd "$root" && ./node_modules/.bin/tsc -p tsconfig.build.json) || { echo "E2E: 0 passed, 1 failed (the app did not build)"; report 0 1 0; exit 1; }

run_dir=$(mktemp -d "${TMPDIR:-/tmp}/callbot-e2e.XXXXXX")
echo "nameserver 127.0.0.1" > "$run_dir/resolv.conf"
: > "$run_dir/pids"

echo "e2e: $version ($ASTERISK_BIN), $sipp_version_word ($sipp_bin); work directory $run_dir"
export ASTERISK_BIN E2E_RUN_DIR=$run_dir E2E_ASTERISK_MODULES_DIR=$modules E2E_ASTERISK_DATA_DIR=$data \
  E2E_SIPP_BIN=$sipp_bin E2E_SIPP_PCAP_DIR=$pcap_dir E2E_ROOT=$root

# Hard bound on the whole run: the suite itself takes about a minute.
timeout --kill-after=15 600 unshare "${ns_flags[@]}" bash "$root/scripts/e2e/in-namespace.sh" "$@"
status=$?

if [ -s "$run_dir/summary" ]; then
  summary=$(cat "$run_dir/summary")
else
  summary="E2E: 0 passed, 1 failed (jest did not complete: exit status $status)"
  [ "$status" -ne 0 ] || status=1
fi
if [ "$status" -eq 0 ]; then
  rm -rf "$run_dir"
else
  echo "e2e: logs kept in $run_dir (Asterisk console, sipp message traces, app logs)"
fi
echo "$summary"
if [[ "$summary" =~ ^E2E:\ ([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
  passed=${BASH_REMATCH[1]}; failed=${BASH_REMATCH[2]}
  # A failed exit with no failure counted (a hook, a crash after the summary) still counts as one.
  [ "$status" -eq 0 ] || [ "$failed" -gt 0 ] || failed=1
  report "$passed" "$failed" 0
else
  report 0 1 0
fi
exit "$status"
