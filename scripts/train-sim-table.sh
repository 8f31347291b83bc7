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
EOF
