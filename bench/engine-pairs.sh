#!/usr/bin/env bash
# The engine's own cost before and after a change: runs the levels phase of `npm run bench:engine`
# (callbot and the bare reactor against the ARI simulator, same run) from two checkouts in turn,
# PAIRS times, and prints each run's ratios callbot / bare reactor (p50 and p99) for every (b)
# reaction, then each reaction's median ratio on each side. A ratio is measured within one run, so
# the machine's load moves both sides of it.
#
#   bash bench/engine-pairs.sh <before-checkout> <after-checkout> [pairs, default 3]
#
# Each checkout needs its node_modules; its benches are built here (tsc -p bench/tsconfig.json).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/pairs-lib.sh"

before=$(cd "${1:?usage: engine-pairs.sh <before-checkout> <after-checkout> [pairs]}" && pwd)
after=$(cd "${2:?usage: engine-pairs.sh <before-checkout> <after-checkout> [pairs]}" && pwd)
pairs=${3:-3}
results=$(mktemp)
trap 'rm -f "$results"' EXIT

for dir in "$before" "$after"; do
  (cd "$dir" && ./node_modules/.bin/tsc -p bench/tsconfig.json) || { echo "engine-pairs: the benches of $dir did not build" >&2; exit 1; }
done

run() {
  local side=$1 dir=$2 out
  out=$(cd "$dir" && BENCH_PHASES=levels node --expose-gc dist/bench/engine-bench.js 2>&1)
  # "(b) <reaction>, …  callbot p50/p99  bare p50/p99  ratio p50  ratio p99  target  verdict"
  local rows
  rows=$(sed -n "/The app's own cost/,/^(c)/p" <<<"$out" | grep -E '^\(b\) .*[0-9]' | sed -E 's/ {2,}/\t/g' | awk -F'\t' -v side="$side" -v pair="$pair" '{ print pair "\t" side "\t" $1 "\t" $4 "\t" $5 }')
  if [ -z "$rows" ]; then
    echo "engine-pairs: the $side run printed no (b) ratios; its last lines:" >&2
    tail -n 15 <<<"$out" >&2
    exit 1
  fi
  echo "$rows" >> "$results"
  echo "$rows" | awk -F'\t' '{ printf "| %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5 }'
}

echo "Engine levels phase, callbot / bare reactor, before ($before) and after ($after), $pairs pairs"
echo
echo '| pair | side | reaction | ratio p50 | ratio p99 |'
echo '|---|---|---|---|---|'
alternate_pairs run "$before" "$after" "$pairs"

echo
echo '| reaction | before: median ratio p50 / p99 | after: median ratio p50 / p99 |'
echo '|---|---|---|'
cut -f3 "$results" | awk '!seen[$0]++' | while IFS= read -r reaction; do
  med() { awk -F'\t' -v r="$reaction" -v s="$1" -v c="$2" '$3 == r && $2 == s { print $c }' "$results" | median; }
  printf '| %s | %s / %s | %s / %s |\n' "$reaction" "$(med before 4)" "$(med before 5)" "$(med after 4)" "$(med after 5)"
done
