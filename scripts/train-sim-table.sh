#!/bin/bash
# Held-out simulated networks: every pipeline's test RMSPE (and
# leave-one-network-out RMSPE) for the upstream configuration and for
# wattprof's default, trained on the same data in the same run
# (docs/training.md, "Measured"). Markdown table on stdout.
#
#   scripts/train-sim-table.sh [WATTPROF] [SEEDS...]     (default: build/wattprof 1 2 3)
#
# Per seed: 12 simulated networks (simulate -> map --attribution deconvolve
# -> dataset), sim11 and sim12 held out as the test set, the other ten
# trained on. Extra configurations to compare: TRAIN_CONFIGS="name=file ...".
# After the table, the default's predictions for each held-out network
# (`predict --engine-info`) against its measured (mapped) layers: network
# runtime and energy over the modelled layers, and interval coverage.
set -euo pipefail
WP=${1:-build/wattprof}
shift || true
SEEDS=${*:-1 2 3}
PY=/usr/bin/python3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
configs="upstream=upstream default="
for c in ${TRAIN_CONFIGS:-}; do configs="$configs $c"; done
for s in $SEEDS; do
    d=$work/s$s
    "$WP" simulate --out "$d/raw" --models 12 --seed "$s" --quiet
    "$WP" map --raw-data-dir "$d/raw" --result-dir "$d/mapped" --attribution deconvolve --quiet
    # the simulator's jitter is symmetric and nothing pre-empts it: the mean is the
    # unbiased runtime, and what this table has always used
    "$WP" dataset --preprocessed-data-dir "$d/mapped" --result-dir "$d/data" --runtime-stat mean --quiet 2>/dev/null
    for c in $configs; do
        name=${c%%=*} file=${c#*=}
        args=()
        [ -n "$file" ] && args=(--config "$file")
        "$WP" train --data-dir "$d/data" --out-dir "$d/m_$name" --test-models sim11,sim12 --cv-by-model \
            --quiet "${args[@]}" >"$d/train_$name.txt"
    done
    # the default's models on the held-out networks as a whole
    for net in sim11 sim12; do
        "$WP" predict --models "$d/m_default" --engine-info "$d/raw/$net/trt_profiling/trt_engine_info.json" \
            --out "$d/pred_$net.csv" >"$d/pred_$net.txt"
    done
done
"$PY" - "$work" $SEEDS -- $configs <<'EOF'
import json, sys
work = sys.argv[1]
sep = sys.argv.index("--")
seeds, names = sys.argv[2:sep], [c.split("=")[0] for c in sys.argv[sep + 1:]]
print("| seed | pipeline | rows train/test | " + " | ".join(f"{n} test | {n} lono" for n in names) + " |")
print("|---|---|---|" + "---|---|" * len(names))
def fmt(v):
    return "-" if v is None else "%.1f" % v
for s in seeds:
    ms = {n: json.load(open(f"{work}/s{s}/m_{n}/metrics.json"))["pipelines"] for n in names}
    # the original's six first, then the other kinds any configuration trained
    pipes = []
    for n in names:
        pipes += [p for p in ms[n] if p not in pipes]
    for p in pipes:
        m0 = next(ms[n][p] for n in names if p in ms[n])
        cells = []
        for n in names:
            m = ms[n].get(p)
            cells += [fmt(m and m["test"]["rmspe"]), fmt(m and m.get("leave_one_network_out", {}).get("rmspe"))]
        print(f"| {s} | {p} | {m0['train_rows']}/{m0['test_rows']} | " + " | ".join(cells) + " |")

import csv, glob, re
# measured = the training targets: power above idle (uW), runtime (ms)
rt_err, en_err, rows, rows_in, en_in, tot_in, tot_en_in, nets = [], [], 0, 0, 0, 0, 0, 0
for s in seeds:
    for net in ("sim11", "sim12"):
        meas = {}
        for f in glob.glob(f"{work}/s{s}/data/{net}/*.csv"):
            for r in csv.DictReader(open(f)):
                meas[r["layer_name"]] = (float(r["power"]) / 1e6, float(r["runtime"]))
        rt = rt_hat = en = en_hat = 0.0
        for r in csv.DictReader(open(f"{work}/s{s}/pred_{net}.csv")):
            p, t = meas[r["layer_name"]]
            rt += t
            en += p * t
            rt_hat += float(r["runtime_prediction"])
            en_hat += float(r["energy_prediction"])
            rows += 1
            rows_in += float(r["runtime_low"]) <= t <= float(r["runtime_high"])
            en_in += float(r["energy_low"]) <= p * t <= float(r["energy_high"])
        text = open(f"{work}/s{s}/pred_{net}.txt").read()
        num = r"([-+0-9.e]+)"
        lo, hi = map(float, re.search(r"modelled runtime: .*interval " + num + " to " + num, text).groups())
        elo, ehi = map(float, re.search(r"energy per inference: .*interval " + num + " to " + num, text).groups())
        tot_in += lo <= rt <= hi
        tot_en_in += elo <= en <= ehi
        rt_err.append(100 * (rt_hat / rt - 1))
        en_err.append(100 * (en_hat / en - 1))
        nets += 1
def med(v):
    v = sorted(abs(x) for x in v)
    return (v[len(v) // 2] + v[(len(v) - 1) // 2]) / 2
print()
print(f"Default models on the {nets} held-out networks (predict --engine-info), over the modelled layers:")
print("network runtime off by " + ", ".join("%+.1f" % x for x in rt_err) + " %% (median |error| %.1f %%);" % med(rt_err))
print("energy per inference off by " + ", ".join("%+.1f" % x for x in en_err) + " %% (median |error| %.1f %%);" % med(en_err))
print(f"{rows_in} of {rows} layers' measured runtimes ({100 * rows_in / rows:.0f} %) and {en_in} ({100 * en_in / rows:.0f} %) of their energies inside their 90 % interval;")
print(f"{tot_in} of {nets} network runtimes and {tot_en_in} of {nets} network energies inside theirs.")
EOF
