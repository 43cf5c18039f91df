#!/usr/bin/env bash
# npm run test:e2e — the end-to-end suite against a real Asterisk, with sipp as the SIP providers.
#
# Needs: ASTERISK_BIN (an Asterisk 18.9+ binary; modules from ASTERISK_MODULES_DIR or
# <prefix>/lib/asterisk/modules, data files from ASTERISK_DATA_DIR or <prefix>/var/lib/asterisk),
# sipp with pcap play support and its RTP pcaps (SIPP_PCAP_DIR to point at them), and permission
# to create namespaces (`unshare -n`). When something is missing it says exactly what, in one
# line starting with "E2E SKIPPED:", and exits 0 without running jest: a skip is never a pass.
#
# Asterisk, both sipp providers and the Node test process run together in one network namespace
# that has only loopback, with /etc/resolv.conf replaced by one naming 127.0.0.1 (pjproject opens
# resolver sockets at start-up), and in one PID namespace: whatever is still running when the suite
# ends is stopped with it. Extra arguments go to jest (e.g. -t 'target busy').
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
skip() { echo "E2E SKIPPED: $*"; exit 0; }

# ---- prerequisites -------------------------------------------------------------------------
if [ -z "${ASTERISK_BIN:-}" ]; then
  skip "ASTERISK_BIN is not set (point it at an Asterisk 18.9+ binary to run the real-Asterisk suite)"
fi
[ -f "$ASTERISK_BIN" ] && [ -x "$ASTERISK_BIN" ] || skip "ASTERISK_BIN=$ASTERISK_BIN is not an executable file (point it at an Asterisk 18.9+ binary)"
ASTERISK_BIN=$(cd "$(dirname "$ASTERISK_BIN")" && pwd)/$(basename "$ASTERISK_BIN")
prefix=$(dirname "$(dirname "$ASTERISK_BIN")")

version=$("$ASTERISK_BIN" -V 2>/dev/null | head -n1)
if [[ "$version" =~ ([0-9]+)\.([0-9]+) ]]; then
  major=${BASH_REMATCH[1]}; minor=${BASH_REMATCH[2]}
  if [ "$major" -lt 18 ] || { [ "$major" -eq 18 ] && [ "$minor" -lt 9 ]; }; then
    skip "ASTERISK_BIN is ${version:-an unknown version}; the suite needs Asterisk 18.9 or later"
  fi
else
  skip "ASTERISK_BIN=$ASTERISK_BIN did not report an Asterisk version with -V (got: ${version:-nothing})"
fi

modules=${ASTERISK_MODULES_DIR:-$prefix/lib/asterisk/modules}
[ -f "$modules/chan_pjsip.so" ] && [ -f "$modules/res_ari.so" ] \
  || skip "no Asterisk modules (chan_pjsip.so, res_ari.so) in $modules; set ASTERISK_MODULES_DIR to the modules directory of ASTERISK_BIN"

data=${ASTERISK_DATA_DIR:-$prefix/var/lib/asterisk}
[ -f "$data/documentation/core-en_US.xml" ] && [ -d "$data/rest-api" ] \
  || skip "no Asterisk data files (documentation/core-en_US.xml, rest-api/) in $data; set ASTERISK_DATA_DIR to the data directory of ASTERISK_BIN"

sipp_bin=$(command -v sipp || true)
[ -n "$sipp_bin" ] || skip "sipp is not installed (Debian/Ubuntu: apt-get install sip-tester)"
sipp_version=$("$sipp_bin" -v 2>&1 || true)
[[ "$sipp_version" == *PCAP* ]] || skip "$sipp_bin was built without pcap play support (needed to send RFC 2833 DTMF)"

pcap_dir=""
for candidate in "${SIPP_PCAP_DIR:-}" /usr/share/sip-tester /usr/share/sipp /usr/share/sipp/pcap /usr/local/share/sipp \
    /usr/local/share/sipp/pcap "$(dirname "$(dirname "$sipp_bin")")/share/sipp" "$(dirname "$(dirname "$sipp_bin")")/share/sip-tester"; do
  if [ -n "$candidate" ] && [ -f "$candidate/dtmf_2833_1.pcap" ]; then pcap_dir=$candidate; break; fi
done
[ -n "$pcap_dir" ] || skip "sipp's RTP pcaps (dtmf_2833_1.pcap) not found; set SIPP_PCAP_DIR to the directory holding them"

for tool in ip mount; do command -v "$tool" >/dev/null || skip "the '$tool' command is missing (package iproute2 / mount)"; done
[ -x "$root/node_modules/.bin/jest" ] || skip "node_modules/.bin/jest is missing: run npm install first"

ns_flags=(--net --mount --pid --fork --kill-child --mount-proc --propagation private)
[ "$(id -u)" = 0 ] || ns_flags=(--map-root-user "${ns_flags[@]}")
if ! unshare "${ns_flags[@]}" true 2>/dev/null; then
  skip "unshare -n is not permitted here (needs root, or unprivileged user namespaces): the suite only runs Asterisk, sipp and the app inside a loopback-only network namespace"
fi

# ---- run -------------------------------------------------------------------------------------
# The answer-gap scenario also runs the app as deployed (node dist/app/main.js): build it first.
(cd "$root" && ./node_modules/.bin/tsc -p tsconfig.build.json) || { echo "E2E: 0 passed, 1 failed (the app did not build)"; exit 1; }

run_dir=$(mktemp -d "${TMPDIR:-/tmp}/callbot-e2e.XXXXXX")
echo "nameserver 127.0.0.1" > "$run_dir/resolv.conf"
: > "$run_dir/pids"

echo "e2e: $version ($ASTERISK_BIN), $(grep -o 'SIPp v[^ ]*[^ .]' <<<"$sipp_version" | head -n1) ($sipp_bin); work directory $run_dir"
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
exit "$status"
