#!/usr/bin/python3
"""Reference for bench_dataset: upstream's convert_measurements algorithm
(group rows by layer, describe() power and runtime, mean per layer, keep the
three Cask types) re-implemented with the csv module and numpy, since pandas
is not installed here. Usage: dataset_ref.py MAPPING_CSV OUT_DIR"""
import csv
import sys

import numpy as np

KEEP = {"CaskConvolution", "CaskPooling", "CaskGemmConvolution"}


def describe(vals):
    """Series.describe() as pandas' nanops compute it (no bottleneck):
    missing values filled with 0 in place for the sums, dropped for the
    quantiles."""
    v = np.array(vals, dtype=float)
    mask = np.isnan(v)
    a = v[~mask]
    count = len(a)
    if count == 0:
        return [0.0] + [float("nan")] * 7
    filled = np.where(mask, 0.0, v)
    mean = filled.sum() / count
    std = float("nan")
    if count > 1:
        sqr = (mean - filled) ** 2
        sqr[mask] = 0
        std = np.sqrt(sqr.sum() / (count - 1))
    q = np.percentile(a, [25, 50, 75])
    return [float(count), mean, std, a.min(), q[0], q[1], q[2], a.max()]


def main():
    path, out = sys.argv[1], sys.argv[2]
    power, runtime = {}, {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            if row["layer_type"] not in KEEP:
                continue
            name = row["layer_name"]
            p = row["layer_power_excluding_idle_power_micro_watt"]
            power.setdefault(name, []).append(float(p) if p else float("nan"))
            runtime.setdefault(name, []).append(float(row["layer_run_time"]))
    for col, data in (("average_power", power), ("average_run_time", runtime)):
        with open("%s/ref_%s_stats.csv" % (out, col), "w") as f:
            f.write("layer_name,count,mean,std,min,25%,50%,75%,max\n")
            for name in sorted(data):
                f.write(name + "," + ",".join(repr(float(x)) for x in describe(data[name])) + "\n")


if __name__ == "__main__":
    main()
