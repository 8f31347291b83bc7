#!/usr/bin/env bash
# The README's Quick start "main job", for a fresh Debian 12 machine as root.
# Installs what the build needs, builds wattprof, then, with no special
# hardware:
#   1. runs the measurement pipeline on the project's own example raw dataset
#      (examples/raw: power log + TensorRT-style layer latencies):
#        wattprof map      power samples -> per-cycle, per-layer power (least
#                          squares over the sensor window by default)
#        wattprof dataset  -> per-layer statistics and per-type training CSVs
#        wattprof report   -> one self-contained HTML page
#   2. writes a standard network (ResNet-18, random weights, nothing
#      downloaded), profiles it layer by layer on this machine's CPU (oneDNN)
#      and prints the per-layer runtime / power / energy table. Without a
#      readable power sensor (a VM, RAPL without root) the table says so and
#      gives runtime only.
# Results go to out/ (replaced on every run). ARCH=vgg11 etc. picks another
# zoo network for step 2.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh build
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B build >/dev/null
cmake --build build -j "$jobs" >/dev/null
wp=build/wattprof
arch=${ARCH:-resnet18}

rm -rf out/mapped out/training out/report.html out/profile
mkdir -p out/profile
echo "== 1. example raw dataset (examples/raw)"
echo "-- wattprof map (default attribution: deconvolve where identifiable, docs/attribution.md)"
$wp map --raw-data-dir examples/raw --result-dir out/mapped --quiet
echo "-- wattprof dataset"
$wp dataset --preprocessed-data-dir out/mapped --result-dir out/training --quiet
echo "-- wattprof report"
$wp report --result-dir out/mapped --raw-data-dir examples/raw --data-dir out/training \
  --out out/report.html --title "wattprof: example raw dataset" --quiet

echo
echo "== 2. profile $arch on this CPU"
$wp zoo --arch "$arch" --out "out/profile/$arch.onnx"
# One thread: steady per-layer times on a machine shared with other work.
$wp profile --model "out/profile/$arch.onnx" --backend cpu --runs 30 --warmup 5 \
  --threads 1 --idle-seconds 1 --result-dir out/profile --quiet

echo
echo "Results:"
for m in out/mapped/*/; do
  m=${m%/}
  name=${m##*/}
  echo "  example model $name:"
  echo "    per-cycle layer power and runtime  $m/power_runtime_mapping_layerwise.csv"
  echo "    per-layer statistics               $m/${name}_average_power_stats.csv, ${name}_average_run_time_stats.csv"
  for f in out/training/"$name"/*.csv; do
    [ -e "$f" ] && echo "    training data                      $f"
  done
done
echo "  report (open in a browser)           out/report.html"
echo "  profiled network                     out/profile/$arch.onnx"
echo "  its raw measurements                 out/profile/raw/$arch/"
