#!/usr/bin/env bash
# The project's test command (README, .ci/run): installs build and test
# dependencies when run as root on Debian, then builds and runs the whole test
# suite twice: a normal build, and one under AddressSanitizer + UBSan; then
# the logger's tests (threads: sampler, writer, background start/stop) under
# ThreadSanitizer. Warnings are errors here (not in a user's default build).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh test
jobs=$(nproc 2>/dev/null || echo 2)
for variant in release asan; do
  dir=build-test-$variant
  flags=(-DWATTPROF_WERROR=ON)
  [ "$variant" = asan ] && flags+=(-DWATTPROF_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug)
  echo "== $variant build ($dir)"
  cmake -S . -B "$dir" "${flags[@]}" >/dev/null
  cmake --build "$dir" -j "$jobs" >/dev/null
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir "$dir" --output-on-failure -j "$jobs"
done

dir=build-test-tsan
echo "== tsan build ($dir): logger tests"
cmake -S . -B "$dir" -DWATTPROF_WERROR=ON -DWATTPROF_TSAN=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$dir" -j "$jobs" --target wattprof test_logger test_logger_cli >/dev/null
TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 ctest --test-dir "$dir" --output-on-failure -j "$jobs" \
  -R '^test_logger(_cli)?$'
