#!/usr/bin/env bash
# Reproduces the trtexec rows of docs/attribution.md: simulated trtexec runs
# (60 s of back-to-back inference, 20 us between inferences, 1.33 ms
# sampling, 1.1 ms sensor window, 5 mW noise, 3 % layer jitter), mapped from
# trtexec's files and scored per layer against truth.json. Each run is mapped
# twice: sensor window auto (map's default) and given (1100 us).
#   scripts/trtexec-table.sh [BUILD_DIR] [WORK_DIR]     (about 17 minutes on the
#   shared 2-core machine; one map at a time)
set -euo pipefail
. "$(dirname "$0")/table-env.sh"
score=scripts/estimates_error.py

echo "| layers, inference period, anchor error, sensor window | mean abs error (layers with a number) | worst | mean, layers >= 1 % of the inference | worst | layers without a number |"
echo "|---|---|---|---|---|---|"
gap=20
run() { # layers period_us anchor_us
  local layers=$1 period_us=$2 anchor=$3
  local cycles=$(( 60000000 / (period_us + gap) ))
  local raw="$work/raw-$layers-$period_us-$anchor"
  "$wp" simulate --out "$raw" --layers "$layers" --cycles "$cycles" --reporting trtexec \
    --inference-us "$period_us" --gap-us "$gap" --anchor-error-us "$anchor" --seed 1 --quiet
  local label="$layers, $(awk "BEGIN{print $period_us/1000}") ms, $(awk "BEGIN{print $anchor/1000}") ms"
  for w in auto 1100; do
    local res="$work/res-$layers-$period_us-$anchor-$w"
    local extra=()
    [ "$w" = auto ] || extra=(--attribution deconvolve --sensor-window-us "$w")
    echo "== $label, window $w" >>"$work/notes.txt"
    "$wp" map --raw-data-dir "$raw" --result-dir "$res" "${extra[@]}" >/dev/null 2>>"$work/notes.txt"
    /usr/bin/python3 "$score" "$raw/truth.json" "$res" "$label, $w"
    rm -rf "$res"
  done
  rm -rf "$raw"
}
for layers in 20 60; do
  for period_us in 300 1000 3000 10000 30000; do
    run "$layers" "$period_us" 5000
  done
  run "$layers" 3000 0
done
echo
echo "(what map chose: $work/notes.txt)"
