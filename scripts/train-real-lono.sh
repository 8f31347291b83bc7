#!/bin/bash
# Leave one network out on real CPU-runner runtimes (docs/training.md,
# "Measured: real networks"). Runtime only: no power sensor is needed.
#
#   scripts/train-real-lono.sh [WATTPROF] [RUNS] [OUT]
#       (defaults: build/wattprof, 10 measured cycles, a temporary folder)
#
# For every `wattprof zoo` architecture (and every *.onnx in $EXTRA_ONNX_DIR,
# e.g. torchvision exports): bench --threads 1 on the CPU runner; the
# per-cycle layer runtimes become a mapping with a constant placeholder power
# (1 W above idle: only the runtime pipelines are judged) and `dataset`
# writes the training rows, once per --runtime-stat (mean, median, p10).
# Then, per configuration (upstream, default) and statistic:
#   - per-layer: `train --cv-by-model` (each network held out in turn),
#     leave-one-network-out RMSPE of every runtime pipeline;
#   - per network: train on the others (--test-models NET), `predict` NET's
#     engine description, predicted vs measured total over the layers of the
#     modelled kinds (conv, pooling, dense); a layer predict leaves out (a
#     model that went negative) counts as 0 ms.
# Markdown tables on stdout; the share of time in layers of other kinds is
# printed too (it is not in the totals).
set -euo pipefail
WP=$(realpath "${1:-build/wattprof}")
RUNS=${2:-10}
OUT=${3:-}
PY=/usr/bin/python3
if [ -z "$OUT" ]; then
    OUT=$(mktemp -d)
    trap 'rm -rf "$OUT"' EXIT
fi
mkdir -p "$OUT/onnx" "$OUT/raw"
nets=()
for a in $("$WP" zoo --list); do
    [ -f "$OUT/onnx/$a.onnx" ] || "$WP" zoo --arch "$a" --out "$OUT/onnx/$a.onnx"
    nets+=("$a")
done
if [ -n "${EXTRA_ONNX_DIR:-}" ]; then
    for f in "$EXTRA_ONNX_DIR"/*.onnx; do
        n=$(basename "$f" .onnx)
        cp "$f" "$OUT/onnx/$n.onnx"
        nets+=("$n")
    done
fi
for n in "${nets[@]}"; do
    if [ ! -f "$OUT/raw/$n/trt_profiling/trt_layer_latency.json" ]; then
        echo "bench $n ($RUNS cycles, 1 thread)" >&2
        "$WP" bench --model "$OUT/onnx/$n.onnx" --result-dir "$OUT/raw" --runs "$RUNS" --warmup 3 --threads 1 \
            --quiet >/dev/null
    fi
done
# per-cycle runtimes -> mapping CSV with a placeholder power
"$PY" - "$OUT" "${nets[@]}" <<'EOF'
import json, os, sys
out, nets = sys.argv[1], sys.argv[2:]
for n in nets:
    prof = f"{out}/raw/{n}/trt_profiling"
    lat = json.load(open(f"{prof}/trt_layer_latency.json"))
    eng = json.load(open(f"{prof}/trt_engine_info.json"))
    types = {L["Name"]: L["LayerType"] for L in eng["Layers"] if isinstance(L, dict)}
    d = f"{out}/mapped/{n}"
    os.makedirs(d, exist_ok=True)
    with open(f"{d}/power_runtime_mapping_layerwise.csv", "w") as f:
        f.write("cycle,layer_name,layer_type,layer_power_including_idle_power_micro_watt,"
                "layer_power_excluding_idle_power_micro_watt,layer_run_time\n")
        for name, vals in lat.items():
            for k, v in enumerate(vals):
                f.write(f"{k + 1},{name},{types[name]},2000000,1000000,{v[0]!r}\n")
    with open(f"{d}/trt_engine_info.json", "w") as f:
        json.dump(eng, f)
EOF
for stat in mean median p10; do
    "$WP" dataset --preprocessed-data-dir "$OUT/mapped" --result-dir "$OUT/data_$stat" --runtime-stat "$stat" \
        --per-layer-measurements 1 --quiet 2>/dev/null
    for cfg in upstream default; do
        args=()
        [ "$cfg" = upstream ] && args=(--config upstream)
        "$WP" train --data-dir "$OUT/data_$stat" --out-dir "$OUT/m_${stat}_${cfg}_all" --test-models none \
            --cv-by-model --cv 5 --quiet "${args[@]}" >"$OUT/train_${stat}_${cfg}.txt"
        for n in "${nets[@]}"; do
            m="$OUT/m_${stat}_${cfg}_$n"
            "$WP" train --data-dir "$OUT/data_$stat" --out-dir "$m" --test-models "$n" --cv 5 --quiet "${args[@]}" \
                >/dev/null
            "$WP" predict --models "$m" --engine-info "$OUT/raw/$n/trt_profiling/trt_engine_info.json" \
                --out "$m/pred_$n.csv" >"$m/predict.txt" 2>&1
        done
    done
done
"$PY" - "$OUT" "${nets[@]}" <<'EOF'
import csv, json, math, statistics, sys
out, nets = sys.argv[1], sys.argv[2:]
kinds = ["convolutional", "pooling", "dense"]
def rows(path):
    try:
        return list(csv.DictReader(open(path)))
    except FileNotFoundError:
        return []
print("Per-layer runtime, leave one network out (RMSPE %, pooled over all held-out layers):\n")
print("| runtime stat | config | convolutional | pooling | dense |")
print("|---|---|---|---|---|")
for stat in ("mean", "median", "p10"):
    for cfg in ("upstream", "default"):
        m = json.load(open(f"{out}/m_{stat}_{cfg}_all/metrics.json"))["pipelines"]
        cells = []
        for k in kinds:
            p = m.get(f"{k}_runtime")
            l = p and p.get("leave_one_network_out")
            cells.append("%.1f" % l["rmspe"] if l and l["rmspe"] is not None else "-")
        print(f"| {stat} | {cfg} | " + " | ".join(cells) + " |")
print("\nNetwork total over conv/pooling/dense layers, trained without the network (error %):\n")
print("| runtime stat | config | " + " | ".join(nets) + " | median abs | worst abs |")
print("|---|---|" + "---|" * len(nets) + "---|---|")
share = {}
for stat in ("mean", "median", "p10"):
    for cfg in ("upstream", "default"):
        errs = []
        for n in nets:
            meas = {}
            for k in kinds:
                for r in rows(f"{out}/data_{stat}/{n}/{k}.csv"):
                    meas[r["layer_name"]] = float(r["runtime"])
            pred = {r["layer_name"]: float(r["runtime_prediction"])
                    for r in rows(f"{out}/m_{stat}_{cfg}_{n}/pred_{n}.csv")}
            tm = sum(meas.values())
            tp = sum(pred.get(name, 0.0) for name in meas)
            errs.append(100.0 * (tp - tm) / tm if tm > 0 else float("nan"))
        a = [abs(e) for e in errs if not math.isnan(e)]
        print(f"| {stat} | {cfg} | " + " | ".join("%+.1f" % e for e in errs) +
              " | %.1f | %.1f |" % (statistics.median(a), max(a)))
print("\nShare of measured time (median stat) in layers of kinds not modelled, per network:\n")
print("| " + " | ".join(nets) + " |")
print("|" + "---|" * len(nets))
cells = []
for n in nets:
    lat = json.load(open(f"{out}/raw/{n}/trt_profiling/trt_layer_latency.json"))
    tot = {name: statistics.median(v[0] for v in vals) for name, vals in lat.items()}
    modelled = set()
    for k in kinds:
        modelled |= {r["layer_name"] for r in rows(f"{out}/data_median/{n}/{k}.csv")}
    allt = sum(tot.values())
    cells.append("%.0f %%" % (100.0 * sum(t for name, t in tot.items() if name not in modelled) / allt))
print("| " + " | ".join(cells) + " |")
EOF
