#!/usr/bin/env bash
# The README's main job: write a standard network with random weights (no
# download), profile it on this machine's CPU, and print the per-layer
# runtime / power / energy table. With no power sensor readable here (RAPL
# usually needs root) the table says so and gives runtime only.
#   scripts/demo-profile.sh [ARCH] [NxCxHxW]     (default: resnet18 1x3x224x224)
# Results go to out/profile/ (replaced on every run).
set -euo pipefail
cd "$(dirname "$0")/.."
arch=${1:-resnet18}
input=${2:-}
bash scripts/deps.sh build
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B build >/dev/null
cmake --build build -j "$jobs" >/dev/null
rm -rf out/profile
mkdir -p out/profile
echo "== wattprof zoo --arch $arch${input:+ --input $input}"
build/wattprof zoo --arch "$arch" --out "out/profile/$arch.onnx" ${input:+--input "$input"}
echo "== wattprof profile (cpu, oneDNN)"
# One thread: steady per-layer times on a machine shared with other work.
build/wattprof profile --model "out/profile/$arch.onnx" --backend cpu --runs 30 --warmup 5 \
  --threads 1 --idle-seconds 1 --result-dir out/profile --quiet
