#!/usr/bin/env python3
"""Writes wattprof's example raw dataset (examples/raw/) in upstream's layout.

Synthetic but shaped like a Jetson measurement run: two small networks, each
run for CYCLES inference cycles; a power log sampled about once a millisecond
(with jitter) on a ~5 V rail; TensorRT-style per-layer latencies whose
timestamps are stamped when the profiler reports them, i.e. all layers of a
cycle just after the cycle ends (so `wattprof map --timeline auto` picks the
reconstructed timeline); engine-inspector JSON with the attributes wattprof
reads. Each layer draws a fixed extra power above idle, so the mapped means
can be checked against the truth written to raw_truth.tsv (and printed by
--truth).

Deterministic (fixed seed): rerunning it rewrites identical files.
Usage: examples/make_raw.py [OUTDIR]   (default: examples/raw next to it)
"""
import json
import zlib
import math
import os
import random
import sys

CYCLES = 40
SAMPLE_MS = 1.0          # nominal power-sample interval
SAMPLE_JITTER_MS = 0.15
IDLE_UW = 4_200_000.0    # idle power, microwatts
RAIL_MV = 5080.0
START = (2024, 11, 21, 9, 30, 0)  # local civil time of the first sample

FP16_IN = "Row major linear FP32 format"
FP16 = "Channel major FP16 format where channel % 8 == 0"


def tensor(name, dims, fmt=FP16):
    return {"Name": name, "Location": "Device", "Dimensions": dims, "Format/Datatype": fmt}


def conv(name, cin, hw_in, cout, hw_out, k, stride, pad, groups=1, dilation=1, relu=True):
    return {
        "Name": name,
        "LayerType": "CaskConvolution",
        "Inputs": [tensor(name + " input", [1, cin, hw_in, hw_in])],
        "Outputs": [tensor(name + " output", [1, cout, hw_out, hw_out])],
        "ParameterType": "Convolution",
        "Kernel": [k, k],
        "PaddingMode": "kEXPLICIT_ROUND_DOWN",
        "PrePadding": [pad, pad],
        "PostPadding": [pad, pad],
        "Stride": [stride, stride],
        "Dilation": [dilation, dilation],
        "OutMaps": cout,
        "Groups": groups,
        "Weights": {"Type": "Half", "Count": cout * (cin // groups) * k * k},
        "Bias": {"Type": "Half", "Count": cout},
        "Activation": "RELU" if relu else "NONE",
        "TacticName": "sm53_xmma_fprop_implicit_gemm_f16f16_f16f16_f16_nhwckrsc_nhwc",
        "TacticValue": "0x%016x" % zlib.crc32(name.encode()),
        "StreamId": 0,
        "Metadata": "",
    }


def pool(name, c, hw_in, hw_out, window=None, stride=None, pad=0, kind="MAX"):
    layer = {
        "Name": name,
        "LayerType": "CaskPooling",
        "Inputs": [tensor(name + " input", [1, c, hw_in, hw_in])],
        "Outputs": [tensor(name + " output", [1, c, hw_out, hw_out])],
        "ParameterType": "Pooling",
        "PoolingType": kind,
    }
    if window is not None:  # a layer without WindowSize is global pooling
        layer.update({
            "WindowSize": [window, window],
            "PaddingMode": "kEXPLICIT_ROUND_DOWN",
            "PrePadding": [pad, pad],
            "PostPadding": [pad, pad],
            "Stride": [stride, stride],
        })
    layer.update({"BlendFactor": 0, "AverageCountExcludesPadding": 1,
                  "TacticName": "sm50_xmma_pooling_coalescedC_NHWC_k%s" % kind,
                  "TacticValue": "0x00000000000000%02x" % (hw_out % 256), "StreamId": 0, "Metadata": ""})
    return layer


def dense(name, n_in, n_out, dims4=True):
    shape_in = [1, n_in, 1, 1] if dims4 else [1, n_in]
    shape_out = [1, n_out, 1, 1] if dims4 else [1, n_out]
    return {
        "Name": name,
        "LayerType": "CaskGemmConvolution",
        "Inputs": [tensor(name + " input", shape_in)],
        "Outputs": [tensor(name + " output", shape_out)],
        "ParameterType": "Convolution",
        "Kernel": [1, 1],
        "PaddingMode": "kEXPLICIT_ROUND_DOWN",
        "PrePadding": [0, 0],
        "PostPadding": [0, 0],
        "Stride": [1, 1],
        "Dilation": [1, 1],
        "OutMaps": n_out,
        "Groups": 1,
        "Weights": {"Type": "Half", "Count": n_in * n_out},
        "Bias": {"Type": "Half", "Count": n_out},
        "Activation": "NONE",
        "TacticName": "sm70_xmma_gemm_as_conv1x1_f16f16_f16_f16_tn_n_simt_small_batch_bias_relu",
        "TacticValue": "0x00000000000202e2",
        "StreamId": 0,
        "Metadata": "",
    }


def other(name, kind, dims_in, dims_out, fmt_in=FP16, fmt_out=FP16):
    return {"Name": name, "LayerType": kind,
            "Inputs": [tensor(name + " input", dims_in, fmt_in)],
            "Outputs": [tensor(name + " output", dims_out, fmt_out)],
            "TacticValue": "0x0000000000000000", "StreamId": 0, "Metadata": ""}


def tinynet():
    return [
        other("Reformatting CopyNode for Input Tensor 0 to [CONVOLUTION]-[/conv1/Conv]", "Reformat",
              [1, 3, 64, 64], [1, 3, 64, 64], FP16_IN, FP16),
        conv("[CONVOLUTION]-[/conv1/Conv] + [RELU]-[/relu1/Relu]", 3, 64, 32, 32, 3, 2, 1),
        pool("[POOLING]-[/pool1/MaxPool]", 32, 32, 16, window=2, stride=2),
        conv("[CONVOLUTION]-[/conv2/Conv] + [RELU]-[/relu2/Relu]", 32, 16, 64, 16, 3, 1, 1),
        pool("[POOLING]-[/gap/GlobalAveragePool]", 64, 16, 1, kind="AVERAGE"),
        dense("[CONVOLUTION]-[/fc/Gemm]", 64, 10),
        other("[SHUFFLE]-[/flatten/Flatten]", "NoOp", [1, 10, 1, 1], [1, 10]),
    ]


def minivgg():
    return [
        other("Reformatting CopyNode for Input Tensor 0 to [CONVOLUTION]-[/features.0/Conv]", "Reformat",
              [1, 3, 96, 96], [1, 3, 96, 96], FP16_IN, FP16),
        conv("[CONVOLUTION]-[/features.0/Conv] + [RELU]-[/features.1/Relu]", 3, 96, 32, 96, 3, 1, 1),
        conv("[CONVOLUTION]-[/features.2/Conv] + [RELU]-[/features.3/Relu]", 32, 96, 32, 96, 3, 1, 1),
        pool("[POOLING]-[/features.4/MaxPool]", 32, 96, 48, window=3, stride=2, pad=1),
        conv("[CONVOLUTION]-[/features.5/Conv] + [RELU]-[/features.6/Relu]", 32, 48, 64, 48, 3, 1, 2,
             groups=2, dilation=2),
        pool("[POOLING]-[/features.7/MaxPool]", 64, 48, 24, window=2, stride=2),
        other("[SHUFFLE]-[/flatten/Reshape]", "NoOp", [1, 64, 24, 24], [1, 36864, 1, 1]),
        dense("[CONVOLUTION]-[/classifier.0/Gemm] + [RELU]-[/classifier.1/Relu]", 36864, 256),
        dense("[CONVOLUTION]-[/classifier.2/Gemm] + [RELU]-[/classifier.3/Relu]", 256, 128),
        dense("[MATRIX_MULTIPLY]-[/classifier.4/Gemm]", 128, 10, dims4=False),
        other("[SHUFFLE]-[/output/Reshape]", "NoOp", [1, 10], [1, 10]),
    ]


def work(layer):
    """Multiply-accumulates (or element operations) of a layer, roughly."""
    out = layer["Outputs"][0]["Dimensions"]
    n_out = math.prod(out)
    if layer["LayerType"] == "CaskConvolution":
        cin = layer["Inputs"][0]["Dimensions"][1] // layer["Groups"]
        return n_out * cin * layer["Kernel"][0] * layer["Kernel"][1]
    if layer["LayerType"] == "CaskGemmConvolution":
        return math.prod(layer["Inputs"][0]["Dimensions"]) * n_out
    if layer["LayerType"] == "CaskPooling":
        w = layer.get("WindowSize") or layer["Inputs"][0]["Dimensions"][2:]
        return n_out * w[0] * w[1] * 4
    return math.prod(layer["Inputs"][0]["Dimensions"]) * 2


def truth(layer):
    """(runtime ms, extra power above idle in microwatts) of a layer."""
    w = work(layer)
    runtime = 1.0 + w / 1.5e7                     # ~15 GMAC/s plus launch overhead
    extra = 900_000.0 + 220_000.0 * math.log10(1 + w / 1e5)
    if layer["LayerType"] in ("Reformat", "NoOp"):
        extra *= 0.5
    return runtime, extra


def civil(us):
    """Local civil time text for microseconds since START."""
    y, mo, d, h, mi, s = START
    total = ((h * 60 + mi) * 60 + s) * 1_000_000 + us
    secs, frac = divmod(total, 1_000_000)
    h, rem = divmod(secs, 3600)
    mi, s = divmod(rem, 60)
    return "%04d%02d%02d-%02d:%02d:%02d.%06d" % (y, mo, d, h, mi, s, frac)


def write_model(outdir, name, layers, rng, offset_us):
    mdir = os.path.join(outdir, name)
    os.makedirs(os.path.join(mdir, "trt_profiling"), exist_ok=True)
    with open(os.path.join(mdir, "trt_profiling", "trt_engine_info.json"), "w") as f:
        json.dump({"Layers": layers, "Bindings": ["input", "output"]}, f, indent=4)
        f.write("\n")

    # Execution: cycles back to back with host gaps; per-layer runtimes jitter.
    t = offset_us + 40_000                      # power log starts 40 ms earlier
    windows = []                                # (start_us, end_us, extra_uW)
    latencies = {l["Name"]: [] for l in layers}
    for _ in range(CYCLES):
        cycle = []
        for layer in layers:
            runtime, extra = truth(layer)
            ms = runtime * rng.uniform(0.97, 1.03)
            dur = int(round(ms * 1000))
            windows.append((t, t + dur, extra))
            cycle.append((layer["Name"], dur))
            t += dur
        # The profiler reports every layer once the cycle is done, a few
        # microseconds apart: timestamps say when it reported, not when the
        # layer ran.
        report = t + rng.randint(20, 60)
        for lname, dur in cycle:
            latencies[lname].append([dur / 1000.0, civil(report)])
            report += rng.randint(3, 12)
        t += rng.randint(1500, 4000)            # host work between cycles
    end = t + 40_000
    with open(os.path.join(mdir, "trt_profiling", "trt_layer_latency.json"), "w") as f:
        json.dump(latencies, f, indent=4)
        f.write("\n")

    # Power log: ~1 kHz with jitter; current follows the layer running at the
    # sample's time (idle between cycles), plus sensor noise.
    lines = []
    ts = offset_us
    w = 0
    while ts <= end:
        while w < len(windows) and windows[w][1] < ts:
            w += 1
        extra = 0.0
        if w < len(windows) and windows[w][0] <= ts <= windows[w][1]:
            extra = windows[w][2]
        mv = RAIL_MV + rng.uniform(-8, 8)
        ma = (IDLE_UW + extra) / mv + rng.gauss(0, 6)
        lines.append("%s,%.1f,%.1f\n" % (civil(ts), mv, ma))
        ts += int(round(1000 * (SAMPLE_MS + rng.uniform(-SAMPLE_JITTER_MS, SAMPLE_JITTER_MS))))
    with open(os.path.join(mdir, name + "_power_log.log"), "w") as f:
        f.writelines(lines)
    return end


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    args = [a for a in sys.argv[1:] if a != "--truth"]
    outdir = args[0] if args else os.path.join(here, "raw")
    rng = random.Random(20241121)
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "idling_power.json"), "w") as f:
        json.dump({"timestamp": "20241121-092500", "avg_idle_power": IDLE_UW}, f, indent=4)
        f.write("\n")
    offset = 0
    rows = ["model\tlayer_name\tlayer_type\truntime_ms\tpower_excluding_idle_uw\n"]
    for name, layers in (("tinynet", tinynet()), ("minivgg", minivgg())):
        offset = write_model(outdir, name, layers, rng, offset) + 500_000
        for layer in layers:
            runtime, extra = truth(layer)
            rows.append("%s\t%s\t%s\t%.6f\t%.1f\n" % (name, layer["Name"], layer["LayerType"], runtime, extra))
    # The truth the measurements should recover (mean runtime, mean power
    # above idle), beside the dataset so `map` does not take it for a model.
    with open(os.path.join(os.path.dirname(os.path.abspath(outdir)), os.path.basename(os.path.abspath(outdir)) + "_truth.tsv"), "w") as f:
        f.writelines(rows)
    if "--truth" in sys.argv:
        sys.stdout.writelines(rows)


if __name__ == "__main__":
    main()
