# Sourced by the *-pairs.sh benches, which compare two checkouts run in turn on one machine.

# alternate_pairs RUN BEFORE_DIR AFTER_DIR PAIRS: calls `RUN before BEFORE_DIR` and `RUN after AFTER_DIR`
# PAIRS times, with $pair the pair's number. Which side goes first alternates, so that a drift of the
# machine over time falls on both.
alternate_pairs() {
  local run=$1 before_dir=$2 after_dir=$3 pairs=$4 pair
  for pair in $(seq 1 "$pairs"); do
    if (( pair % 2 )); then "$run" before "$before_dir"; "$run" after "$after_dir"; else "$run" after "$after_dir"; "$run" before "$before_dir"; fi
  done
}

# median: the median of the numbers on stdin, one a line (blank lines passed over); nothing when there are none.
median() {
  grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
