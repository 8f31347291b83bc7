#!/usr/bin/python3
"""Per-layer power error of a `wattprof map` result against `wattprof simulate`'s truth.

usage: attribution_error.py TRUTH.json RESULT_DIR [LABEL]

For every model in TRUTH, a layer's estimate is the mean over cycles of
layer_power_excluding_idle_power_micro_watt in RESULT/<model>/
power_runtime_mapping_layerwise.csv, ignoring empty cells (what `wattprof
dataset` uses). Prints one Markdown table row: mean and worst absolute error
in % of the true power above idle, and how many conv/pool/dense layers got
no value at all. Standard library only.
"""
import csv
import json
import os
import sys

KEPT = {"CaskConvolution", "CaskPooling", "CaskGemmConvolution"}


def main():
    truth_path, result_dir = sys.argv[1], sys.argv[2]
    label = sys.argv[3] if len(sys.argv) > 3 else result_dir
    truth = json.load(open(truth_path))
    errs, missing, kept = [], 0, 0
    for model, spec in truth["models"].items():
        sums, counts = {}, {}
        path = os.path.join(result_dir, model, "power_runtime_mapping_layerwise.csv")
        with open(path, newline="") as f:
            for row in csv.DictReader(f):
                v = row["layer_power_excluding_idle_power_micro_watt"]
                name = row["layer_name"]
                if v != "":
                    sums[name] = sums.get(name, 0.0) + float(v)
                    counts[name] = counts.get(name, 0) + 1
        for layer in spec["layers"]:
            name, true = layer["name"], layer["power_uw"]
            if layer["type"] in KEPT:
                kept += 1
            if counts.get(name, 0) == 0:
                missing += layer["type"] in KEPT
                continue
            errs.append(abs(sums[name] / counts[name] - true) / true * 100)
    mean = sum(errs) / len(errs) if errs else float("nan")
    worst = max(errs) if errs else float("nan")
    print("| %s | %.2f %% | %.1f %% | %d of %d |" % (label, mean, worst, kept - missing, kept))


if __name__ == "__main__":
    main()
