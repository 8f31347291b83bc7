#!/usr/bin/python3
"""Reference for bench/bench_map.c: the upstream mapping algorithm
(EdgeProfiler's DataPreprocessor), re-implemented in plain Python without
pandas, kept faithful to its behaviour - including its defects (one forward
scan over the power log, rows stop when the log ends, a 0 W mean counts as
missing) - so the benchmark compares against the same amount of work.

usage: map_original.py RAW_DIR RESULT_DIR
"""
import csv
import json
import os
import sys
from datetime import datetime, timedelta


def parse_ts(text):
    return datetime.strptime(text, "%Y%m%d-%H:%M:%S.%f")


def map_model(raw_dir, model, idle, result_dir):
    mdir = os.path.join(raw_dir, model)
    samples = []
    with open(os.path.join(mdir, model + "_power_log.log")) as fp:
        for line in fp:
            parts = line.strip().split(",")
            samples.append((parse_ts(parts[0]), float(parts[1]) * float(parts[2])))
    with open(os.path.join(mdir, "trt_profiling", "trt_layer_latency.json")) as fp:
        latency = json.load(fp)
    with open(os.path.join(mdir, "trt_profiling", "trt_engine_info.json")) as fp:
        types = {layer["Name"]: layer["LayerType"] for layer in json.load(fp)["Layers"]}

    by_cycle = {}
    for name, entries in latency.items():
        for cycle, (ms, stamp) in enumerate(entries):
            end = parse_ts(stamp)
            by_cycle.setdefault(cycle, []).append((cycle, end - timedelta(milliseconds=ms), end, ms, name))
    windows = [w for cycle in by_cycle.values() for w in cycle]

    rows = []
    it = iter(samples)
    sample = next(it)
    for cycle, start, end, ms, name in windows:
        values = []
        try:
            while sample[0] < start:
                sample = next(it)
            while sample[0] <= end:
                values.append(sample[1])
                sample = next(it)
        except StopIteration:
            break
        finally:
            mean = sum(values) / len(values) if values else None
            rows.append((cycle + 1, name, types.get(name, "Unknown"), mean,
                         mean - idle if mean else None, ms))

    out_dir = os.path.join(result_dir, model)
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "power_runtime_mapping_layerwise.csv"), "w", newline="") as fp:
        w = csv.writer(fp, lineterminator="\n")
        w.writerow(["cycle", "layer_name", "layer_type",
                    "layer_power_including_idle_power_micro_watt",
                    "layer_power_excluding_idle_power_micro_watt", "layer_run_time"])
        for r in rows:
            w.writerow(["" if v is None else v for v in r])
    return len(rows)


def main():
    raw_dir, result_dir = sys.argv[1], sys.argv[2]
    with open(os.path.join(raw_dir, "idling_power.json")) as fp:
        idle = float(json.load(fp)["avg_idle_power"])
    total = 0
    for model in sorted(os.listdir(raw_dir)):
        if os.path.isdir(os.path.join(raw_dir, model)) and not model.startswith("."):
            total += map_model(raw_dir, model, idle, result_dir)
    print(total)


if __name__ == "__main__":
    main()
