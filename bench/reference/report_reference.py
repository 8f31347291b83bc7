"""Reference for bench_report: the straightforward per-layer aggregation of
a power_runtime_mapping_layerwise.csv (what the report's bars need: mean and
sample std of runtime and of power excluding idle, mean power including idle,
cycles with a power value), with the standard library's csv module.
Prints: layers rows seconds."""
import csv
import math
import sys
import time


def main():
    t0 = time.perf_counter()
    acc = {}
    order = []
    rows = 0
    with open(sys.argv[1], newline="") as f:
        r = csv.reader(f)
        head = next(r)
        ci = {h: i for i, h in enumerate(head)}
        cn, crt = ci["layer_name"], ci["layer_run_time"]
        cin = ci["layer_power_including_idle_power_micro_watt"]
        cex = ci["layer_power_excluding_idle_power_micro_watt"]
        for rec in r:
            rows += 1
            a = acc.get(rec[cn])
            if a is None:
                a = acc[rec[cn]] = [[], [], []]
                order.append(rec[cn])
            a[0].append(float(rec[crt]))
            if rec[cex] != "":
                a[1].append(float(rec[cex]) / 1e6)
            if rec[cin] != "":
                a[2].append(float(rec[cin]) / 1e6)
    out = []
    for name in order:
        rt, pe, pi = acc[name]

        def mean(v):
            return sum(v) / len(v) if v else float("nan")

        def sd(v):
            if len(v) < 2:
                return float("nan")
            m = mean(v)
            return math.sqrt(sum((x - m) ** 2 for x in v) / (len(v) - 1))

        out.append((name, mean(rt), sd(rt), mean(pe), sd(pe), mean(pi), len(pe)))
    print(len(out), rows, "%.6f" % (time.perf_counter() - t0))


main()
