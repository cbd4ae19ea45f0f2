#!/usr/bin/env bash
# Runs each RoundLab fuzz target (libFuzzer, with AddressSanitizer and UBSan; built by
# scripts/sanitize.sh into build-sanitize/) for a fixed time, on a copy of its corpus. A crash
# input lands in build-sanitize/fuzz-crashes/TARGET/: fix the bug, then add the input to
# tests/fuzz/corpus/TARGET/ so that the fuzz.TARGET test replays it in every build.
#   scripts/fuzz.sh [SECONDS_PER_TARGET=300] [TARGET...]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${ROUNDLAB_SANITIZE_DIR:-"$here/build-sanitize"}
seconds=${1:-300}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzzidxreader fuzzhdf5data fuzzsessionreader fuzzmodelarchive)
export LSAN_OPTIONS="suppressions=$here/tests/fuzz/lsan-suppressions.txt:print_suppressions=0"
export ASAN_OPTIONS="detect_leaks=1:detect_odr_violation=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
status=0
for target in "${targets[@]}"; do
  binary="$build/tests/fuzz/$target"
  [ -x "$binary" ] || { echo "fuzz.sh: $binary missing: run scripts/sanitize.sh first" >&2; exit 1; }
  work="$build/fuzz-work/$target" crashes="$build/fuzz-crashes/$target"
  mkdir -p "$work" "$crashes"
  cp -n "$here/tests/fuzz/corpus/$target/"* "$work/" 2> /dev/null || true
  log="$build/fuzz-$target.log"
  if "$binary" "$work" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=4096 -timeout=20 \
      -artifact_prefix="$crashes/" -print_final_stats=1 > "$log" 2>&1; then
    echo "$target: $(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$') executions in ${seconds} s, no crash"
  else
    echo "$target: CRASH, see $log and $crashes" >&2
    status=1
  fi
done
exit $status
