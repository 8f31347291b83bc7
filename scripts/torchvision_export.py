#!/usr/bin/python3
"""Exports torchvision classification models to ONNX with the installed torch,
with random weights, plus one input and torch's output for it (raw float32,
little-endian), so wattprof's importer and runners can be checked against
torch.

Freshly initialised batch-norm layers (mean 0, variance 1) let activations
shrink layer after layer until the output is the classifier's bias whatever
the input (ShuffleNet: output 0.03, input's effect 2e-6), which would make
any comparison pass. So batch-norm statistics are first calibrated on a few
random batches, as after training: activations stay O(1) and the output
depends on the input. Linear layers initialised to zero (ViT's head) get
small random weights for the same reason.

usage: torchvision_export.py OUTDIR OPSET SIZE MODEL...   (SIZE: H=W; 0 = the model's own)
Writes OUTDIR/<model>-op<OPSET>.onnx, .in.f32, .out.f32 and prints one line
per model: name onnx_path input_shape."""
import os
import sys
import warnings

import torch
import torchvision

warnings.filterwarnings("ignore")
NATIVE = {"inception_v3": 299}


def main():
    outdir, opset, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    torch.manual_seed(0)
    torch.set_num_threads(1)
    for name in sys.argv[4:]:
        s = size or NATIVE.get(name, 224)
        kw = {"weights": None}
        if name in ("googlenet", "inception_v3"):
            kw.update(aux_logits=False, init_weights=True)
        model = getattr(torchvision.models, name)(**kw)
        bns = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
        if bns:
            for m in bns:
                m.reset_running_stats()
                m.momentum = None  # cumulative average over the calibration batches
            model.train()
            with torch.no_grad():
                for _ in range(2):
                    model(torch.rand(2, 3, s, s) * 2 - 1)
        # ViT's head starts at zero: its output would be 0 whatever the input.
        for m in model.modules():
            if isinstance(m, torch.nn.Linear) and not m.weight.any():
                torch.nn.init.normal_(m.weight, std=0.02)
        model.eval()
        x = torch.rand(1, 3, s, s) * 2 - 1
        with torch.no_grad():
            y = model(x)
        base = os.path.join(outdir, "%s-op%d" % (name, opset))
        torch.onnx.export(model, x, base + ".onnx", opset_version=opset, input_names=["input"],
                          output_names=["output"], do_constant_folding=True)
        x.numpy().astype("<f4").tofile(base + ".in.f32")
        y.numpy().astype("<f4").tofile(base + ".out.f32")
        print(name, base + ".onnx", "1x3x%dx%d" % (s, s), flush=True)


if __name__ == "__main__":
    main()
