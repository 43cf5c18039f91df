# Sourced by run-e2e.sh (the e2e suite) and capture-asterisk.sh (the fixture recorder): checks what
# a real-Asterisk lab needs and sets the variables both pass on. The caller defines
# `missing "<what>"`, called once for the first thing missing: the suite skips, the recorder fails.
#
# Sets: ASTERISK_BIN (absolute), asterisk_version (`asterisk -V`), modules, data, sipp_bin,
# sipp_version, pcap_dir, ns_flags (the unshare flags of the loopback-only namespace).

if [ -z "${ASTERISK_BIN:-}" ]; then
  missing "ASTERISK_BIN is not set (point it at an Asterisk 18.9+ binary to run the real-Asterisk suite)"
fi
[ -f "$ASTERISK_BIN" ] && [ -x "$ASTERISK_BIN" ] || missing "ASTERISK_BIN=$ASTERISK_BIN is not an executable file (point it at an Asterisk 18.9+ binary)"
ASTERISK_BIN=$(cd "$(dirname "$ASTERISK_BIN")" && pwd)/$(basename "$ASTERISK_BIN")
lab_prefix=$(dirname "$(dirname "$ASTERISK_BIN")")

asterisk_version=$("$ASTERISK_BIN" -V 2>/dev/null | head -n1)
if [[ "$asterisk_version" =~ ([0-9]+)\.([0-9]+) ]]; then
  major=${BASH_REMATCH[1]}; minor=${BASH_REMATCH[2]}
  if [ "$major" -lt 18 ] || { [ "$major" -eq 18 ] && [ "$minor" -lt 9 ]; }; then
    missing "ASTERISK_BIN is ${asterisk_version:-an unknown version}; the suite needs Asterisk 18.9 or later"
  fi
else
  missing "ASTERISK_BIN=$ASTERISK_BIN did not report an Asterisk version with -V (got: ${asterisk_version:-nothing})"
fi

modules=${ASTERISK_MODULES_DIR:-$lab_prefix/lib/asterisk/modules}
[ -f "$modules/chan_pjsip.so" ] && [ -f "$modules/res_ari.so" ] \
  || missing "no Asterisk modules (chan_pjsip.so, res_ari.so) in $modules; set ASTERISK_MODULES_DIR to the modules directory of ASTERISK_BIN"

data=${ASTERISK_DATA_DIR:-$lab_prefix/var/lib/asterisk}
[ -f "$data/documentation/core-en_US.xml" ] && [ -d "$data/rest-api" ] \
  || missing "no Asterisk data files (documentation/core-en_US.xml, rest-api/) in $data; set ASTERISK_DATA_DIR to the data directory of ASTERISK_BIN"

# Asterisk's own sounds (the consent announcement's default, conf-now-recording): the install's, else
# Debian's asterisk-core-sounds-en-wav, installed here when this is a root shell with apt.
if [ ! -f "$data/sounds/en/hello-world.wav" ] && [ ! -f /usr/share/asterisk/sounds/en/hello-world.wav ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends asterisk-core-sounds-en-wav </dev/null >/dev/null || true
  fi
  [ -f /usr/share/asterisk/sounds/en/hello-world.wav ] || missing "Asterisk's sounds are missing (Debian: apt-get install asterisk-core-sounds-en-wav)"
fi

sipp_bin=$(command -v sipp || true)
[ -n "$sipp_bin" ] || missing "sipp is not installed (Debian/Ubuntu: apt-get install sip-tester)"
sipp_version=$("$sipp_bin" -v 2>&1 || true)
[[ "$sipp_version" == *PCAP* ]] || missing "$sipp_bin was built without pcap play support (needed to send RFC 2833 DTMF)"

pcap_dir=""
for candidate in "${SIPP_PCAP_DIR:-}" /usr/share/sip-tester /usr/share/sipp /usr/share/sipp/pcap /usr/local/share/sipp \
    /usr/local/share/sipp/pcap "$(dirname "$(dirname "$sipp_bin")")/share/sipp" "$(dirname "$(dirname "$sipp_bin")")/share/sip-tester"; do
  # Every digit: the caller-ID verification scenario keys a code of several.
  if [ -n "$candidate" ] && [ "$(ls "$candidate"/dtmf_2833_[0-9].pcap 2>/dev/null | wc -l)" -eq 10 ]; then pcap_dir=$candidate; break; fi
done
[ -n "$pcap_dir" ] || missing "sipp's RTP pcaps (dtmf_2833_0.pcap to dtmf_2833_9.pcap) not found; set SIPP_PCAP_DIR to the directory holding them"

for tool in ip mount; do command -v "$tool" >/dev/null || missing "the '$tool' command is missing (package iproute2 / mount)"; done

ns_flags=(--net --mount --pid --fork --kill-child --mount-proc --propagation private)
[ "$(id -u)" = 0 ] || ns_flags=(--map-root-user "${ns_flags[@]}")
if ! unshare "${ns_flags[@]}" true 2>/dev/null; then
  missing "unshare -n is not permitted here (needs root, or unprivileged user namespaces): Asterisk, sipp and the app run only inside a loopback-only network namespace"
fi

# The one-word sipp version the runners print and the recorder writes into its fixtures.
sipp_version_word=$(grep -o 'SIPp v[^ ]*[^ .]' <<<"$sipp_version" | head -n1)
