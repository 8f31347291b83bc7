#!/usr/bin/env bash
# Reproduces the table in docs/attribution.md: simulated data with known
# truth (20 layers, 1.33 ms sampling, 1.1 ms sensor window), mapped with each
# attribution, scored per layer against truth.json.
#   scripts/attribution-table.sh [BUILD_DIR] [WORK_DIR]
set -euo pipefail
. "$(dirname "$0")/table-env.sh"
score=scripts/attribution_error.py

echo "| reporting, cycles, attribution (timeline) | mean abs error | worst layer | conv/pool/dense layers with a value |"
echo "|---|---|---|---|"
for cycles in 3000 30000; do
  for rep in ideal tensorrt; do
    raw="$work/raw-$rep-$cycles"
    "$wp" simulate --out "$raw" --layers 20 --cycles "$cycles" --reporting "$rep" --seed 1 --quiet
    if [ "$cycles" = 3000 ]; then
      runs=("samples reported" "samples auto" "interpolate auto" "deconvolve auto")
    else
      runs=("samples auto" "deconvolve auto")
    fi
    for run in "${runs[@]}"; do
      set -- $run
      res="$work/res-$rep-$cycles-$1-$2"
      "$wp" map --raw-data-dir "$raw" --result-dir "$res" --attribution "$1" --timeline "$2" \
        >/dev/null 2>>"$work/notes.txt"
      /usr/bin/python3 "$score" "$raw/truth.json" "$res" "$rep, $cycles, $1 ($2)"
    done
  done
done
# A sensor whose reading is 5 ms old when logged (a held INA3221 value,
# docs/logging.md): to deconvolve a report offset of 40 - 5000 us, inside the
# default search range but not the earlier -1000..1500 us one.
for cycles in 3000 30000; do
  raw="$work/raw-lag-$cycles"
  "$wp" simulate --out "$raw" --layers 20 --cycles "$cycles" --reporting tensorrt --sensor-lag-us 5000 --seed 1 --quiet
  if [ "$cycles" = 3000 ]; then
    runs=("samples auto" "deconvolve auto" "deconvolve auto -1000:1500")
  else
    runs=("deconvolve auto")
  fi
  for run in "${runs[@]}"; do
    set -- $run
    res="$work/res-lag-$cycles-$1-$2-${3:-}"
    label="tensorrt + 5 ms lag, $cycles, $1 ($2)"
    extra=()
    if [ -n "${3:-}" ]; then
      extra=(--offset-range-us "$3")
      label="$label, offsets $3 us"
    fi
    "$wp" map --raw-data-dir "$raw" --result-dir "$res" --attribution "$1" --timeline "$2" "${extra[@]}" \
      >/dev/null 2>>"$work/notes.txt"
    /usr/bin/python3 "$score" "$raw/truth.json" "$res" "$label"
  done
done
echo
echo "(work files in $work; what timeline auto and deconvolve chose: $work/notes.txt)"
