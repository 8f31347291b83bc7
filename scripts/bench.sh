#!/usr/bin/env bash
# Builds an optimised tree and runs every benchmark in bench/ (or those
# named: scripts/bench.sh map train). Each prints its figures and a ratio
# against a reference measured in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh test
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-bench -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for f in bench/bench_*.c; do [ -e "$f" ] || continue; n=${f#bench/bench_}; names+=("${n%.c}"); done
fi
for n in "${names[@]}"; do
  echo "== bench_$n"
  "./build-bench/bench/bench_$n"
done
