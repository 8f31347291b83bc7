#!/bin/sh
# Rebuilds docs/report.png: the whole pipeline on simulated data (12 networks,
# TensorRT-style stamps, INA3221-like sensor), then a report of the held-out
# network (scored against simulate's truth.json) rendered by headless
# Chromium at 1200 px.
#   scripts/report_screenshot.sh [BUILD_DIR]   (default build)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/${1:-build}/wattprof
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
"$bin" simulate --out raw --models resnet18,mobilenet,netA,netB,netC,netD,netE,netF,netG,netH,netI,netJ --layers 24 --cycles 1500 --quiet
# The least-squares attribution where this build has it, else interpolation.
attribution=interpolate
if "$bin" map --help | grep -q deconvolve; then attribution=deconvolve; fi
"$bin" map --raw-data-dir raw --result-dir res --attribution "$attribution" --quiet 2>/dev/null
"$bin" dataset --preprocessed-data-dir res --result-dir train_data --quiet >/dev/null 2>&1
"$bin" train --data-dir train_data --out-dir models --test-models resnet18 --cv 5 --cv-by-model --quiet >/dev/null
mkdir -p one && cp -r res/resnet18 one/
"$bin" report --result-dir one --raw-data-dir raw --data-dir train_data --models models --out report.html \
    --title "wattprof report: simulated resnet18 on a Jetson-like board" --quiet
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync --disable-dev-shm-usage --hide-scrollbars \
    --user-data-dir="$work/profile" --screenshot="$work/report.png" --window-size=1200,5000 \
    "file://$work/report.html" 2>/dev/null
cp report.png "$root/docs/report.png"
echo "wrote $root/docs/report.png"
