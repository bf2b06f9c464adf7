#!/usr/bin/env bash
# Runs libFuzzer targets one after the other from their committed seed corpus
# (tests/fuzz/corpus/<name>) and fails when any of them finds something: a
# crash, a sanitizer report, a leak, a timeout or running out of memory.
# `make fuzz` calls it after building build-fuzz/.
#
#   tests/fuzz/run_fuzzers.sh [-t SECONDS] [-b BUILD_DIR] NAME...
#
# NAME is a target without its _fuzz suffix (cloudevent, topic, ...). New
# inputs go to a temporary directory, never into the repository. Each target's
# full output is kept in BUILD_DIR/fuzz-logs/NAME.log and what it finds in
# BUILD_DIR/fuzz-artifacts/NAME/ (emptied first). On success one line per
# target; on a finding, the report, the artifact path and the command that
# reproduces it. Every target runs even after one fails; the exit status is 1
# when any failed, 2 on bad usage.
set -uo pipefail

seconds=30
build="build-fuzz"
# Per-input limits: a parser that spends this long or this much on one input
# (at most libFuzzer's default 4096 bytes) has a bug.
timeout_s=${FUZZ_TIMEOUT:-25}
rss_mb=${FUZZ_RSS_MB:-2048}

usage() {
  echo "usage: $0 [-t SECONDS] [-b BUILD_DIR] NAME..." >&2
  exit 2
}
while getopts "t:b:" opt; do
  case $opt in
    t) seconds=$OPTARG ;;
    b) build=$OPTARG ;;
    *) usage ;;
  esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || usage
case $seconds in '' | *[!0-9]*) usage ;; esac

root=$(cd "$(dirname "$0")/../.." && pwd)
logs=$build/fuzz-logs
mkdir -p "$logs"

# The libFuzzer figure NAME from a log's final stats (stat::NAME: value).
stat() { sed -n "s/^stat::$1: *//p" "$2" | tail -n 1; }

failed=()
for name in "$@"; do
  bin=$build/fuzz/${name}_fuzz
  seeds=$root/tests/fuzz/corpus/$name
  if [ ! -x "$bin" ] || [ ! -d "$seeds" ]; then
    echo "fuzz: $name: no $bin or no $seeds" >&2
    failed+=("$name")
    continue
  fi
  log=$logs/$name.log
  artifacts=$build/fuzz-artifacts/$name
  rm -rf "$artifacts"
  mkdir -p "$artifacts"
  work=$(mktemp -d)
  echo "fuzz: $name for ${seconds}s"
  "$bin" -max_total_time="$seconds" -timeout="$timeout_s" -rss_limit_mb="$rss_mb" \
    -print_final_stats=1 -artifact_prefix="$artifacts/" "$work" "$seeds" >"$log" 2>&1
  rc=$?
  rm -rf "$work"
  found=$(find "$artifacts" -type f | sort)

  if [ "$rc" -eq 0 ] && [ -z "$found" ]; then
    # "#1234 DONE cov: 812 ft: 3021 corp: 345/40Kb ..." and the final stats.
    done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1)
    corp=$(sed -n 's/.* corp: \([^ ]*\).*/\1/p' <<<"$done_line")
    cov=$(sed -n 's/.* cov: \([^ ]*\).*/\1/p' <<<"$done_line")
    echo "fuzz: $name: ok, $(stat number_of_executed_units "$log") runs" \
      "($(stat average_exec_per_sec "$log")/s), corpus ${corp:-?} (inputs/size)," \
      "coverage ${cov:-?}, peak $(stat peak_rss_mb "$log") MB"
    continue
  fi

  failed+=("$name")
  echo "fuzz: $name: FAILED (exit $rc)"
  # The report: from libFuzzer's or a sanitizer's first error line to the
  # end (the stack, the SUMMARY line, the artifact it wrote), at most 80
  # lines of at most 300 characters (the input itself is in the artifact).
  first=$(grep -n -m 1 -E '^==[0-9]+==( ?ERROR|WARNING: MemorySanitizer)|ERROR: libFuzzer|^[^ ]*: runtime error:|^INFO: a leak has been found|ALARM: working on the last Unit' "$log" | cut -d: -f1)
  if [ -n "$first" ]; then
    tail -n "+$first" "$log" | head -n 80 | cut -c 1-300 | sed 's/^/  | /'
  else
    tail -n 40 "$log" | cut -c 1-300 | sed 's/^/  | /'
  fi
  echo "  full output: $log"
  if [ -n "$found" ]; then
    while IFS= read -r a; do
      echo "  artifact:    $a"
      echo "  reproduce:   $bin -timeout=$timeout_s -rss_limit_mb=$rss_mb $a"
    done <<<"$found"
  else
    echo "  no artifact was written (the fuzzer itself failed); rerun: $bin $seeds"
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: all ${#} targets ran ${seconds}s without a finding"
