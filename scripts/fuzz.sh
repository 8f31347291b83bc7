#!/usr/bin/env bash
# The fuzzing campaign: builds the libFuzzer harnesses of tests/fuzz/ with
# clang (ASan + UBSan, -DWATTPROF_FUZZ=ON, in build-fuzz/) and runs each for
# SECONDS (default 600), one at a time at nice 19 so a shared machine keeps
# its other core. Each starts from its committed corpus
# (tests/fuzz/corpus/<name>) and regression inputs (tests/fuzz/regress/<name>);
# what it finds is kept in build-fuzz/fuzz-work/<name>. A crash, leak or
# timeout input is copied to tests/fuzz/regress/<name>/ (commit it with the
# fix: scripts/test.sh replays it from then on) and makes the script exit 1.
# Ends with a markdown table: harness, seconds, executions, coverage, crashes.
#
#   scripts/fuzz.sh [SECONDS] [HARNESS...]   e.g. scripts/fuzz.sh 60 latency map
#   scripts/fuzz.sh --seeds                  rewrite the seed corpus (seed-*)
#   MERGE=1 scripts/fuzz.sh ...              also merge new coverage into the
#                                            committed corpus (-merge=1)
set -euo pipefail
cd "$(dirname "$0")/.."
all=(latency powerlog idle engine csv dataset train model onnx map report scalar trtexec tegrastats device)
build=build-fuzz
# No CUDA module: the harnesses never load it, and its -z defs link fails
# against the sanitizer runtime clang leaves to the executable.
CC=clang cmake -S . -B "$build" -DWATTPROF_FUZZ=ON -DWATTPROF_CUDA=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

if [ "${1:-}" = --seeds ]; then
  cmake --build "$build" -j2 --target fuzz_make_seeds >/dev/null
  find tests/fuzz/corpus -name 'seed-*' -delete 2>/dev/null || true
  "$build"/tests/fuzz/fuzz_make_seeds tests/fuzz/corpus
  exit 0
fi

seconds=600
if [[ "${1:-}" =~ ^[0-9]+$ ]]; then
  seconds=$1
  shift
fi
harnesses=("$@")
[ ${#harnesses[@]} -eq 0 ] && harnesses=("${all[@]}")
targets=()
for h in "${harnesses[@]}"; do targets+=(--target "fuzz_$h"); done
cmake --build "$build" -j2 "${targets[@]}" >/dev/null

# The harnesses write their inputs to files: keep that off the disk.
[ -d /dev/shm ] && export TMPDIR=/dev/shm
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
failed=0
rows=()
for h in "${harnesses[@]}"; do
  work=$build/fuzz-work/$h
  arts=$build/fuzz-artifacts/$h
  # Only this run's finds count: what an earlier run left was copied then.
  rm -rf "$arts"
  mkdir -p "$work" "$arts"
  dirs=("$work" "tests/fuzz/corpus/$h")
  [ -d "tests/fuzz/regress/$h" ] && dirs+=("tests/fuzz/regress/$h")
  maxlen=8192
  [ "$h" = onnx ] && maxlen=16384
  [ "$h" = trtexec ] && maxlen=32768
  [ "$h" = scalar ] && maxlen=256
  # One train input is a whole LassoCV over degrees 1-3: about 0.6 s of
  # CPU with the sanitizers, and far more at nice 19 on a busy machine, so
  # 10 s would report the load, not a hang.
  timeout=10
  [ "$h" = train ] && timeout=60
  log=$build/fuzz-$h.log
  echo "== fuzz_$h: ${seconds}s"
  # -fork-less, one job: a crash stops this harness (the input is saved),
  # the campaign goes on with the next one.
  set +e
  nice -n 19 "$build/tests/fuzz/fuzz_$h" -max_total_time="$seconds" -timeout=$timeout -rss_limit_mb=2048 \
    -max_len=$maxlen -print_final_stats=1 -artifact_prefix="$arts/" "${dirs[@]}" >"$log" 2>&1
  rc=$?
  set -e
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1 | sed 's/cov: \([0-9]*\) ft: \([0-9]*\)/\1 edges, \2 features/')
  crashes=$(find "$arts" -type f | wc -l)
  if [ "$crashes" -gt 0 ] || [ $rc -ne 0 ]; then
    failed=1
    mkdir -p "tests/fuzz/regress/$h"
    find "$arts" -type f -exec cp {} "tests/fuzz/regress/$h/" \;
    echo "   fuzz_$h: exit $rc, $crashes crash input(s) copied to tests/fuzz/regress/$h/ (log: $log)"
  fi
  if [ "${MERGE:-0}" = 1 ]; then
    nice -n 19 "$build/tests/fuzz/fuzz_$h" -merge=1 -max_len=$maxlen "tests/fuzz/corpus/$h" "$work" >/dev/null 2>&1 || true
  fi
  rows+=("| $h | $seconds | ${execs:-?} | ${cov:-?} | $crashes |")
done
echo
echo "| harness | seconds | executions | coverage | crashes |"
echo "|---|---:|---:|---|---:|"
printf '%s\n' "${rows[@]}"
exit $failed
