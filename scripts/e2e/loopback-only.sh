# Sourced inside the namespaces that run-e2e.sh and capture-asterisk.sh create (PID 1 of a new PID
# namespace, in a new network and mount namespace): mounts the private resolv.conf, brings up
# loopback, and refuses to go on unless loopback is the only interface. Needs E2E_RUN_DIR.
# Defines stop_recorded_children, which ends by PID what the lab recorded in E2E_RUN_DIR/pids.

mount --bind "$E2E_RUN_DIR/resolv.conf" /etc/resolv.conf || { echo "e2e: could not mount a private /etc/resolv.conf" >&2; exit 1; }
ip link set lo up || { echo "e2e: could not bring loopback up" >&2; exit 1; }
links=$(ip -o link show | awk -F': ' '{print $2}' | tr '\n' ' ')
if [ "$links" != "lo " ]; then
  echo "e2e: refusing to run: this namespace has interfaces besides lo: $links" >&2
  exit 1
fi
servers=$(grep -E '^\s*nameserver' /etc/resolv.conf || true)
if [ -z "$servers" ] || grep -vqE '^\s*nameserver\s+127\.0\.0\.1\s*$' <<<"$servers"; then
  echo "e2e: refusing to run: /etc/resolv.conf is not the private one" >&2
  exit 1
fi
# 127.0.0.2 and 127.0.0.3 (the providers) and 127.0.0.9 (a stranger) are on lo through 127.0.0.0/8.
local_routes=$(ip route show table local)
grep -q '^local 127.0.0.0/8 dev lo' <<<"$local_routes" || { echo "e2e: 127.0.0.0/8 is not local on lo" >&2; exit 1; }
export E2E_NETNS=1

# End, by PID, whatever the lab started and did not stop (the PID namespace ends the rest with us).
stop_recorded_children() {
  local pid what
  while read -r pid what; do
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      echo "e2e: stopping leftover $what (pid $pid)" >&2
      kill -TERM "$pid" 2>/dev/null
      for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      kill -KILL "$pid" 2>/dev/null
    fi
  done < "$E2E_RUN_DIR/pids"
}
