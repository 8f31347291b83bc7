#!/usr/bin/env bash
# The README's Quick start "main job": on a fresh Debian 12 machine (as root)
# installs what the build needs, builds wattprof, then runs the pipeline's
# first two steps on the project's own example raw dataset (examples/raw):
#   wattprof map      power log + layer latencies -> per-cycle, per-layer power
#   wattprof dataset  -> per-layer statistics and per-layer-type training CSVs
# Results go to out/ (replaced on every run).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh build
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B build >/dev/null
cmake --build build -j "$jobs" >/dev/null
rm -rf out/mapped out/training
echo "== wattprof map (examples/raw -> out/mapped)"
build/wattprof map --raw-data-dir examples/raw --result-dir out/mapped
echo "== wattprof dataset (out/mapped -> out/training)"
build/wattprof dataset --preprocessed-data-dir out/mapped --result-dir out/training
echo
echo "Results:"
for m in out/mapped/*/; do
  m=${m%/}
  name=${m##*/}
  echo "  $name"
  echo "    per-cycle layer power and runtime: $m/power_runtime_mapping_layerwise.csv"
  echo "    per-layer statistics:              $m/${name}_average_power_stats.csv"
  echo "                                       $m/${name}_average_run_time_stats.csv"
  for f in out/training/"$name"/*.csv; do
    if [ -e "$f" ]; then echo "    training data:                     $f"; fi
  done
done
