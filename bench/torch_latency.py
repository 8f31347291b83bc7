"""Whole-network latency of a torchvision model on PyTorch's CPU paths, for
bench_cpu_layout: eager and torch.jit.optimize_for_inference (frozen,
oneDNN-converted TorchScript), at the thread count given, random weights,
input 1x3x224x224.

    torch_latency.py MODEL RUNS THREADS
        -> one line: "eager_ms jit_ms eager_cpu_ms jit_cpu_ms" (medians of
           wall-clock and of this thread's CPU time; at 1 thread the CPU
           time leaves out the time the shared machine gave to others)
"""
import statistics
import sys
import time

import torch
import torchvision


def median_ms(fn, x, runs):
    for _ in range(3):
        fn(x)
    wall, cpu = [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.thread_time()
        fn(x)
        wall.append((time.perf_counter() - t0) * 1000.0)
        cpu.append((time.thread_time() - c0) * 1000.0)
    return statistics.median(wall), statistics.median(cpu)


def main():
    name, runs, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = getattr(torchvision.models, name)().eval()
    x = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        eager = median_ms(model, x, runs)
        jit = torch.jit.optimize_for_inference(torch.jit.script(model))
        opt = median_ms(jit, x, runs)
    print(f"{eager[0]:.3f} {opt[0]:.3f} {eager[1]:.3f} {opt[1]:.3f}")


if __name__ == "__main__":
    main()
