#!/usr/bin/env bash
# The answer-to-dial gap before and after a change, on a real Asterisk: runs the e2e answer-gap
# scenario (spec/e2e/answer-gap.e2e.ts: 15 calls of callbot as deployed against 15 of the
# dialplan's Dial(), interleaved) from two checkouts in turn, PAIRS times, and prints each run's
# medians and ratio (callbot / dialplan), then the median ratio of each side and after / before.
# The ratio is what is compared: it is measured against the dialplan within one run, on one
# Asterisk, so a busy machine moves both sides of it.
#
#   ASTERISK_BIN=/opt/asterisk/sbin/asterisk bash bench/answer-gap-pairs.sh <before-checkout> <after-checkout> [pairs, default 5]
#
# Each checkout needs its node_modules; the e2e runner builds its dist/ itself.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/pairs-lib.sh"

before=$(cd "${1:?usage: answer-gap-pairs.sh <before-checkout> <after-checkout> [pairs]}" && pwd)
after=$(cd "${2:?usage: answer-gap-pairs.sh <before-checkout> <after-checkout> [pairs]}" && pwd)
pairs=${3:-5}
[ -n "${ASTERISK_BIN:-}" ] || { echo "answer-gap-pairs: set ASTERISK_BIN to an Asterisk 18.9+ binary" >&2; exit 2; }

declare -A ratios=([before]="" [after]="")
run() {
  local side=$1 dir=$2 out
  out=$(cd "$dir" && bash scripts/e2e/run-e2e.sh answer-gap 2>&1)
  local dialplan callbot ratio
  dialplan=$(grep -m1 '^| dialplan Dial()' <<<"$out" | awk -F'|' '{gsub(/ /, "", $3); print $3}')
  callbot=$(grep -m1 '^| callbot as deployed' <<<"$out" | awk -F'|' '{gsub(/ /, "", $3); print $3}')
  ratio=$(grep -m1 '^| ratio callbot / dialplan' <<<"$out" | awk -F'|' '{gsub(/ /, "", $3); print $3}')
  if [ -z "$ratio" ]; then
    echo "answer-gap-pairs: the $side run printed no ratio; its last lines:" >&2
    tail -n 15 <<<"$out" >&2
    exit 1
  fi
  printf '| %d | %s | %s | %s | %s |\n' "$pair" "$side" "$dialplan" "$callbot" "$ratio"
  ratios[$side]+="$ratio "
}

echo "Answer-to-dial gap, before ($before) and after ($after), $pairs pairs; $("$ASTERISK_BIN" -V)"
echo
echo '| pair | side | dialplan median | callbot median | callbot / dialplan |'
echo '|---|---|---|---|---|'
alternate_pairs run "$before" "$after" "$pairs"
b=$(tr ' ' '\n' <<<"${ratios[before]}" | median); a=$(tr ' ' '\n' <<<"${ratios[after]}" | median)
echo
echo "median ratio before: $b, after: $a, after / before: $(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a / b }')"
