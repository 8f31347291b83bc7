#!/usr/bin/python3
"""Per-layer power error of `wattprof map`'s layer_power_estimates.csv against
`wattprof simulate`'s truth, for runs too long to score from the per-cycle CSV.

usage: estimates_error.py TRUTH.json RESULT_DIR [LABEL]

Prints one Markdown table row: mean and worst absolute error (in % of the
true power above idle) over the layers with status "ok", the same over the
layers carrying at least 1 % of an inference's time, and how many layers
were flagged (no number) of all. Standard library only.
"""
import csv
import json
import os
import sys


def main():
    truth_path, result_dir = sys.argv[1], sys.argv[2]
    label = sys.argv[3] if len(sys.argv) > 3 else result_dir
    truth = json.load(open(truth_path))
    errs, big, flagged, total = [], [], 0, 0
    for model, spec in truth["models"].items():
        path = os.path.join(result_dir, model, "layer_power_estimates.csv")
        with open(path, newline="") as f:
            rows = {r["layer_name"]: r for r in csv.DictReader(f)}
        inference_ms = sum(l["latency_ms"] for l in spec["layers"])
        for layer in spec["layers"]:
            total += 1
            row = rows[layer["name"]]
            if row["status"] != "ok":
                flagged += 1
                continue
            e = abs(float(row["power_excluding_idle_micro_watt"]) - layer["power_uw"]) / layer["power_uw"] * 100
            errs.append(e)
            if layer["latency_ms"] >= 0.01 * inference_ms:
                big.append(e)
    def stats(v):
        if not v:
            return "- | -"
        return "%.2f %% | %.1f %%" % (sum(v) / len(v), max(v))
    print("| %s | %s | %s | %d of %d |" % (label, stats(errs), stats(big), flagged, total))


if __name__ == "__main__":
    main()
