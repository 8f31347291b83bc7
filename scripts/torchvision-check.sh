#!/usr/bin/env bash
# Every torchvision classification model (issue 14's list), exported by the
# installed PyTorch at opset 13 and 17 with random weights, end to end:
#   1. import, our shapes against onnx's shape inference, network output on
#      the ref and cpu backends against torch's (tests/test_torchvision with
#      every model at its own input size: 224, inception_v3 299);
#   2. the CLI: predict --onnx (models trained on a simulated dataset),
#      bench --backend cpu, profile --no-power.
# Slow (tens of minutes on 2 cores: the ref backend is naive); the default
# test run covers three models at 112x112.
#
# usage: scripts/torchvision-check.sh [MODEL...]
# environment: BUILD (default build), OUT (default a fresh temporary folder),
#   WATTPROF_TORCHVISION_BACKENDS (default ref,cpu), RUNS (bench/profile cycles, default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD:-build}
wp=$build/wattprof
py=/usr/bin/python3
runs=${RUNS:-3}
all="alexnet vgg11 vgg16 resnet18 resnet50 resnext50_32x4d wide_resnet50_2 squeezenet1_0 squeezenet1_1
densenet121 googlenet inception_v3 mobilenet_v2 mobilenet_v3_small mobilenet_v3_large mnasnet1_0
shufflenet_v2_x1_0 efficientnet_b0 regnet_y_400mf convnext_tiny vit_b_16 swin_t"
models=${*:-$all}
out=${OUT:-$(mktemp -d /tmp/wattprof-torchvision.XXXXXX)}
mkdir -p "$out"
echo "== export (torch $($py -c 'import torch; print(torch.__version__)')) into $out"
for opset in 13 17; do
  # shellcheck disable=SC2086
  $py scripts/torchvision_export.py "$out" $opset 0 $models > /dev/null
done

echo "== import, shapes, outputs against torch"
status=0
WATTPROF_TORCHVISION_DIR=$out WATTPROF_TORCHVISION_MODELS=$(echo $models | tr ' ' ,) \
  "$build/tests/test_torchvision" || status=1

echo "== CLI: predict --onnx, bench --backend cpu, profile --no-power"
$wp simulate --out "$out/sim" --models 6 --quiet > /dev/null
$wp map --raw-data-dir "$out/sim" --result-dir "$out/sim-mapped" --quiet > /dev/null
$wp dataset --preprocessed-data-dir "$out/sim-mapped" --result-dir "$out/sim-training" --quiet > /dev/null
$wp train --data-dir "$out/sim-training" --out-dir "$out/sim-models" --quiet > /dev/null
for m in $models; do
  for opset in 13 17; do
    f=$out/$m-op$opset.onnx
    for step in predict bench profile; do
      case $step in
        predict) cmd=("$wp" predict --models "$out/sim-models" --onnx "$f") ;;
        bench) cmd=("$wp" bench --model "$f" --result-dir "$out/bench" --backend cpu --threads 1
                    --runs "$runs" --warmup 1 --quiet) ;;
        profile) cmd=("$wp" profile --model "$f" --result-dir "$out/profile" --no-power --threads 1
                      --runs "$runs" --warmup 1 --quiet) ;;
      esac
      if log=$("${cmd[@]}" 2>&1); then
        printf '%-20s opset %d %-8s ok\n' "$m" "$opset" "$step"
      else
        printf '%-20s opset %d %-8s FAILED: %s\n' "$m" "$opset" "$step" "$(echo "$log" | tail -1)"
        status=1
      fi
    done
  done
done
exit $status
