#!/usr/bin/env bash
# Builds the engine, the CLI, their tests and the fuzz targets with AddressSanitizer and
# UndefinedBehaviorSanitizer (clang, in build-sanitize/) and runs the engine, CLI and reliability
# suites and the fuzz corpora under them. Any sanitizer report fails the run.
#   scripts/sanitize.sh [ctest -R regex]      (default: every suite but the GUI and packaging)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${ROUNDLAB_SANITIZE_DIR:-"$here/build-sanitize"}
if ! command -v clang++ > /dev/null; then
  echo "sanitize.sh: needs clang (apt install clang)" >&2
  exit 1
fi
cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
  -DCMAKE_CXX_COMPILER=clang++ -DROUNDLAB_SANITIZE=address,undefined -DROUNDLAB_FUZZ=ON -DROUNDLAB_WERROR=OFF \
  -DROUNDLAB_BUILD_GUI=OFF -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" > /dev/null
targets=(roundlab-cli roundlab_engine_tests roundlab_cli_tests roundlab_cli_mixed_precision_tests roundlab_reliability_tests
         roundlab_bad_input_writer
         fuzzidxreader fuzzhdf5data fuzzsessionreader fuzzmodelarchive)
ninja -C "$build" "${targets[@]}"

# Third-party libraries are not instrumented: their own one-time allocations are not RoundLab's leaks.
export LSAN_OPTIONS="suppressions=$here/tests/fuzz/lsan-suppressions.txt:print_suppressions=0"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:detect_odr_violation=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
# Instrumented runs take 5-10x as long: Qt Test's 5-minute limit per test function would cut them.
export QTEST_FUNCTION_TIMEOUT=7200000
status=0
for target in fuzzidxreader fuzzhdf5data fuzzsessionreader fuzzmodelarchive; do
  "$build/tests/fuzz/$target" -runs=0 "$here/tests/fuzz/corpus/$target" > "$build/$target-replay.log" 2>&1 \
    || { echo "sanitize.sh: $target corpus: see $build/$target-replay.log" >&2; status=1; }
done
cd "$build"
QT_QPA_PLATFORM=offscreen ctest --output-on-failure --timeout 3600 -R "${1:-^(engine|cli)}" || status=1
exit $status
