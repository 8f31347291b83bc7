#!/bin/bash
# Leave one network out on real CPU-runner runtimes (docs/training.md,
# "Measured: real networks"). Runtime only: no power sensor is needed.
#
#   scripts/train-real-lono.sh [WATTPROF] [RUNS] [OUT]
#       (defaults: build/wattprof, 10 measured cycles, a temporary folder)
#
# environment:
#   EXTRA_ONNX_DIR  every *.onnx in it joins the networks (e.g. torchvision
#                   exports: scripts/torchvision_export.py)
#   STATS           runtime statistics to try (default "mean median p10 min";
#                   the first one's measured totals are printed)
#   CONFIGS         configurations (default "upstream default"; a name
#                   other than those two is a --config FILE)
#   TOTAL_CONFIGS   those whose per-network totals are measured (default:
#                   CONFIGS; the upstream configuration takes about 40 s a
#                   training on 25 networks, 25 trainings a statistic)
#   ROUNDS          passes over all the networks (default 3), RUNS cycles
#                   each, merged: on a shared machine a slow minute then
#                   spoils one pass of a network, not all of its cycles
#                   (a network's cycles all taken in one slow minute made
#                   LeNet 35 % slower in one run than in the next)
#   DURATION        seconds each pass measures a network at least (bench
#                   --duration; default 0.5): RUNS cycles of a network of a
#                   few microseconds last less than a scheduler tick
#
# For every `wattprof zoo` architecture (and the extra ONNX files), in
# ROUNDS passes over them all: bench --threads 1 on the CPU runner (skipped
# when OUT already holds that pass's result); every pass's per-cycle layer
# runtimes (OUT/latency/NET.json) become a mapping with a constant
# placeholder power (1 W above idle: only the runtime pipelines are judged)
# and `dataset` writes the training rows, once per --runtime-stat. Then, per
# configuration and statistic:
#   - per layer: `train --cv-by-model` (each network held out in turn),
#     leave-one-network-out RMSPE of every runtime pipeline (every layer kind);
#   - per network: train on the others (--test-models NET), `predict` NET's
#     engine description; predicted total = sum over the layers predict
#     models (a layer it leaves out counts as 0 ms), measured total = sum
#     over ALL the network's layers of the same statistic of their cycles
#     (both without the layers the runner fused, above).
# Markdown tables on stdout, with the share of measured time in layers
# predict did not model.
set -euo pipefail
WP=$(realpath "${1:-build/wattprof}")
RUNS=${2:-10}
OUT=${3:-}
STATS=${STATS:-mean median p10 min}
CONFIGS=${CONFIGS:-upstream default}
TOTAL_CONFIGS=${TOTAL_CONFIGS:-$CONFIGS}
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
        cmp -s "$f" "$OUT/onnx/$n.onnx" || cp "$f" "$OUT/onnx/$n.onnx"
        nets+=("$n")
    done
fi
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-0.5}
raws=()
for r in $(seq 1 "$ROUNDS"); do
    raw="$OUT/raw"
    [ "$r" -gt 1 ] && raw="$OUT/raw_round$r"
    raws+=("$raw")
    for n in "${nets[@]}"; do
        if [ ! -f "$raw/$n/trt_profiling/trt_layer_latency.json" ]; then
            echo "bench $n ($RUNS cycles and $DURATION s at least, 1 thread, round $r of $ROUNDS)" >&2
            "$WP" bench --model "$OUT/onnx/$n.onnx" --result-dir "$raw" --runs "$RUNS" --duration "$DURATION" \
                --warmup 3 --threads 1 \
                --quiet >/dev/null
        fi
    done
done
# per-cycle runtimes -> mapping CSV with a placeholder power. A layer the
# CPU runner fused into the convolution or dense layer before it (batch
# norm, ReLU: its time is inside that layer's, its own two clock reads) is left out of
# the training rows and of both totals (OUT/fused.json).
"$PY" - "$OUT" "${#raws[@]}" "${raws[@]}" "${nets[@]}" <<'EOF'
import json, os, sys
out, nr = sys.argv[1], int(sys.argv[2])
raws, nets = sys.argv[3:3 + nr], sys.argv[3 + nr:]
fused_all = {}
os.makedirs(f"{out}/latency", exist_ok=True)
for n in nets:
    prof = f"{out}/raw/{n}/trt_profiling"
    # every round's cycles of a layer, one after another (OUT/latency/NET.json)
    lat = {}
    for raw in raws:
        for name, vals in json.load(open(f"{raw}/{n}/trt_profiling/trt_layer_latency.json")).items():
            lat.setdefault(name, []).extend(vals)
    json.dump(lat, open(f"{out}/latency/{n}.json", "w"))
    eng = json.load(open(f"{prof}/trt_engine_info.json"))
    try:
        fused = json.load(open(f"{out}/raw/{n}/{n}_tensorrt.json")).get("fused_layers", {})
    except (FileNotFoundError, ValueError):
        fused = {}
    fused_all[n] = sorted(fused)
    types = {L["Name"]: L["LayerType"] for L in eng["Layers"] if isinstance(L, dict)}
    d = f"{out}/mapped/{n}"
    os.makedirs(d, exist_ok=True)
    with open(f"{d}/power_runtime_mapping_layerwise.csv", "w") as f:
        f.write("cycle,layer_name,layer_type,layer_power_including_idle_power_micro_watt,"
                "layer_power_excluding_idle_power_micro_watt,layer_run_time\n")
        for name, vals in lat.items():
            if name in fused:
                continue
            for k, v in enumerate(vals):
                f.write(f"{k + 1},{name},{types[name]},2000000,1000000,{v[0]!r}\n")
    with open(f"{d}/trt_engine_info.json", "w") as f:
        json.dump(eng, f)
json.dump(fused_all, open(f"{out}/fused.json", "w"))
EOF
for stat in $STATS; do
    rm -rf "$OUT/data_$stat"
    "$WP" dataset --preprocessed-data-dir "$OUT/mapped" --result-dir "$OUT/data_$stat" --runtime-stat "$stat" \
        --per-layer-measurements 1 --quiet 2>/dev/null
    for cfg in $CONFIGS; do
        args=()
        [ "$cfg" = upstream ] && args=(--config upstream)
        [ "$cfg" != upstream ] && [ "$cfg" != default ] && args=(--config "$cfg")
        tag=$(basename "$cfg" .json)
        "$WP" train --data-dir "$OUT/data_$stat" --out-dir "$OUT/m_${stat}_${tag}_all" --test-models none \
            --cv-by-model --cv 5 --quiet "${args[@]}" >"$OUT/train_${stat}_${tag}.txt"
        case " $TOTAL_CONFIGS " in *" $cfg "*) ;; *) continue ;; esac
        for n in "${nets[@]}"; do
            m="$OUT/m_${stat}_${tag}_$n"
            "$WP" train --data-dir "$OUT/data_$stat" --out-dir "$m" --test-models "$n" --cv 5 --quiet "${args[@]}" \
                >/dev/null
            "$WP" predict --models "$m" --engine-info "$OUT/raw/$n/trt_profiling/trt_engine_info.json" \
                --out "$m/pred_$n.csv" >"$m/predict.txt" 2>&1
        done
    done
done
"$PY" - "$OUT" "$STATS" "$CONFIGS" "$TOTAL_CONFIGS" "${nets[@]}" <<'EOF'
import csv, json, math, os, statistics, sys
out, stats, configs, tconfigs, nets = (sys.argv[1], sys.argv[2].split(), sys.argv[3].split(), sys.argv[4].split(),
                                       sys.argv[5:])
configs = [os.path.basename(c).removesuffix(".json") for c in configs]
kinds = ["convolutional", "pooling", "dense", "normalization", "activation", "elementwise", "reshape",
         "softmax", "matmul"]
def rows(path):
    try:
        return list(csv.DictReader(open(path)))
    except FileNotFoundError:
        return []
def stat_of(stat, v):
    v = sorted(v)
    if stat == "mean":
        return sum(v) / len(v)
    if stat == "min":
        return v[0]
    q = 0.5 if stat == "median" else 0.1
    x = q * (len(v) - 1)
    i = int(math.floor(x))
    return v[i] if i + 1 >= len(v) else v[i] + (v[i + 1] - v[i]) * (x - i)
print("Per-layer runtime, leave one network out (RMSPE %, pooled over all held-out layers; rows):\n")
print("| runtime stat | config | " + " | ".join(kinds) + " |")
print("|---|---|" + "---|" * len(kinds))
for stat in stats:
    for cfg in configs:
        m = json.load(open(f"{out}/m_{stat}_{cfg}_all/metrics.json"))["pipelines"]
        cells = []
        for k in kinds:
            p = m.get(f"{k}_runtime")
            l = p and p.get("leave_one_network_out")
            cells.append("%.1f (%d)" % (l["rmspe"], l["rows"]) if l and l.get("rmspe") is not None else "-")
        print(f"| {stat} | {cfg} | " + " | ".join(cells) + " |")
configs = [os.path.basename(c).removesuffix(".json") for c in tconfigs]
print("\nNetwork total over all layers, trained without the network (error %; measured ms):\n")
print("| network | measured ms | " + " | ".join(f"{s} {c}" for s in stats for c in configs) + " |")
print("|---|---|" + "---|" * (len(stats) * len(configs)))
errs = {(s, c): [] for s in stats for c in configs}
share = {}
fused = json.load(open(f"{out}/fused.json"))
for n in nets:
    lat = json.load(open(f"{out}/latency/{n}.json"))
    lat = {k: v for k, v in lat.items() if k not in fused.get(n, [])}
    cells = []
    for s in stats:
        meas = {name: stat_of(s, [v[0] for v in vals]) for name, vals in lat.items()}
        tm = sum(meas.values())
        for c in configs:
            pred = {r["layer_name"]: float(r["runtime_prediction"])
                    for r in rows(f"{out}/m_{s}_{c}_{n}/pred_{n}.csv")}
            tp = sum(pred.get(name, 0.0) for name in meas)
            e = 100.0 * (tp - tm) / tm if tm > 0 else float("nan")
            errs[(s, c)].append(e)
            cells.append("%+.1f" % e)
            if s == stats[0] and c == configs[-1]:
                share[n] = 100.0 * sum(t for name, t in meas.items() if name not in pred) / tm
    lat_med = sum(stat_of(stats[0], [v[0] for v in vals]) for vals in lat.values())
    print(f"| {n} | %.3g | " % lat_med + " | ".join(cells) + " |")
print("| **median abs** | | " + " | ".join(
    "%.1f" % statistics.median(abs(e) for e in errs[(s, c)]) for s in stats for c in configs) + " |")
print("| **worst abs** | | " + " | ".join(
    "%.1f" % max(abs(e) for e in errs[(s, c)]) for s in stats for c in configs) + " |")
print("\n90 % intervals on the held-out networks (layers whose measured runtime lies inside their interval; "
      "networks whose total lies inside the sum of the bounds):\n")
print("| runtime stat | config | layers inside | networks inside |")
print("|---|---|---|---|")
for s in stats:
    for c in configs:
        lin = ltot = nin = ntot = 0
        for n in nets:
            lat = json.load(open(f"{out}/latency/{n}.json"))
            meas = {k: stat_of(s, [v[0] for v in vals]) for k, vals in lat.items() if k not in fused.get(n, [])}
            lo = hi = tm = 0.0
            ok = True
            for r in rows(f"{out}/m_{s}_{c}_{n}/pred_{n}.csv"):
                if r["layer_name"] not in meas:
                    continue  # a layer the runner fused: in neither total
                if not r["runtime_low"]:
                    ok = False
                    continue
                t = meas[r["layer_name"]]
                lo += float(r["runtime_low"])
                hi += float(r["runtime_high"])
                tm += t
                ltot += 1
                lin += float(r["runtime_low"]) <= t <= float(r["runtime_high"])
            if ok and tm > 0:
                ntot += 1
                nin += lo <= tm <= hi
        print(f"| {s} | {c} | %d of %d (%.0f %%) | %d of %d |" % (lin, ltot, 100.0 * lin / max(ltot, 1), nin, ntot))
print(f"\nShare of measured time ({stats[0]}) in layers {configs[-1]}'s predict did not model, per network:\n")
print("| " + " | ".join(nets) + " |")
print("|" + "---|" * len(nets))
print("| " + " | ".join("%.1f %%" % share[n] for n in nets) + " |")
EOF
