#!/usr/bin/python3
"""scikit-learn reference for `wattprof train` (parity tests and bench_train).

Trains the six NeuralPower pipelines exactly as the original does
(FeatureUnion(PolynomialFeatures [after log1p], special product terms) ->
scaler -> LassoCV), with wattprof's default configuration, on the training
CSVs under DATA_DIR/<model>/{convolutional,pooling,dense}.csv, holding out the
test models. Prints one JSON document: per pipeline the chosen alpha, its
index in the alpha grid, the intercept, the test predictions and the seconds
spent fitting.

usage: /usr/bin/python3 train_reference.py DATA_DIR [--test-models a,b,c] [--cv K]
"""
import argparse
import json
import os
import sys
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LassoCV
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import (FunctionTransformer, MinMaxScaler, PolynomialFeatures, RobustScaler,
                                   StandardScaler)

CONV = ["batch_size", "input_size_0", "input_size_1", "input_size_2", "output_size_0", "output_size_1",
        "output_size_2", "kernel_0", "kernel_1", "padding_0", "padding_1", "stride_0", "stride_1"]
POOL = ["batch_size", "input_size_0", "input_size_1", "input_size_2", "output_size_0", "output_size_1",
        "output_size_2", "kernel_0", "kernel_1", "stride_0", "stride_1"]
DENSE = ["batch_size", "input_size", "output_size"]
CONV_IN = ["input_size_0", "input_size_1", "input_size_2", "kernel_0", "kernel_1", "output_size_2"]
POOL_IN = ["batch_size", "input_size_0", "input_size_1", "input_size_2"]
POOL_OUT = ["batch_size", "output_size_0", "output_size_1", "output_size_2"]
POOL_OPS = POOL_IN + ["kernel_0", "kernel_1"]

# (layer, target): features, degree, log1p, special terms, scaler, positive
PIPELINES = [
    ("convolutional", "power", CONV, 3, True, [CONV_IN, CONV_IN + ["batch_size"]], "standard", True),
    ("convolutional", "runtime", CONV, 3, False, [CONV_IN, CONV_IN + ["batch_size"]], "standard", True),
    ("pooling", "power", POOL, 3, False, [POOL_IN, POOL_OUT, POOL_OPS], "robust", True),
    ("pooling", "runtime", POOL, 3, False, [POOL_IN, POOL_OUT, POOL_OPS], "standard", False),
    ("dense", "power", DENSE, 3, False, [], "standard", True),
    ("dense", "runtime", DENSE, 3, False, [], "standard", True),
]
SCALERS = {"standard": StandardScaler, "robust": RobustScaler, "minmax": MinMaxScaler}


def read_csv(path):
    with open(path) as f:
        header = f.readline().rstrip("\n").split(",")
        rows = [line.rstrip("\n").split(",") for line in f if line.strip()]
    return {name: [r[i] for r in rows] for i, name in enumerate(header)}


def special(mapping, terms):
    def build(x):
        return np.stack([np.multiply.reduce(x[:, [mapping[t] for t in ts]], axis=1) for ts in terms]).T
    return FunctionTransformer(build)


def make_pipeline(features, degree, log1p, terms, scaler, positive, cv):
    poly = PolynomialFeatures(degree=degree)
    regular = Pipeline([("log1p", FunctionTransformer(np.log1p)), ("poly", poly)]) if log1p else poly
    if terms:
        mapping = {f: i for i, f in enumerate(features)}
        transformer = FeatureUnion([("regular", regular), ("special", special(mapping, terms))])
    else:
        transformer = regular
    return Pipeline([("transformer", transformer), ("scaler", SCALERS[scaler]()),
                     ("lasso", LassoCV(cv=cv, n_alphas=500, max_iter=10000, positive=positive))])


def load(data_dir, layer, features, tests):
    train_x, train_y, test_x, test_y = [], {"power": [], "runtime": []}, [], {"power": [], "runtime": []}
    for model in sorted(os.listdir(data_dir)):
        path = os.path.join(data_dir, model, layer + ".csv")
        if model.startswith(".") or not os.path.isfile(path):
            continue
        cols = read_csv(path)
        x = np.array([[float(v) for v in cols[f]] for f in features]).T.reshape(-1, len(features))
        xs, ys = (test_x, test_y) if model in tests else (train_x, train_y)
        xs.append(x)
        ys["power"].append(np.array([float(v) for v in cols["power"]]) / 1e6)
        ys["runtime"].append(np.array([float(v) for v in cols["runtime"]]))
    if not train_x:
        return None
    cat = lambda a, w: np.concatenate(a) if a else np.zeros((0, w))
    return (cat(train_x, len(features)), {k: cat(v, 0) for k, v in train_y.items()},
            cat(test_x, len(features)), {k: cat(v, 0) for k, v in test_y.items()})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data_dir")
    ap.add_argument("--test-models", default="lenet,resnet18,vgg16")
    ap.add_argument("--cv", type=int, default=10)
    ap.add_argument("--c-expected", action="store_true",
                    help="print C initialisers for tests/test_model.c instead of JSON")
    a = ap.parse_args()
    tests = set(a.test_models.split(","))
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    out = {}
    for layer, target, features, degree, log1p, terms, scaler, positive in PIPELINES:
        data = load(a.data_dir, layer, features, tests)
        if data is None:
            continue
        xtr, ytr, xte, yte = data
        pipe = make_pipeline(features, degree, log1p, terms, scaler, positive, a.cv)
        t0, c0 = time.perf_counter(), time.process_time()
        pipe.fit(xtr, ytr[target])
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
        lasso = pipe.named_steps["lasso"]
        out[layer + "_" + target] = {
            "alpha": float(lasso.alpha_),
            "alpha_index": int(np.flatnonzero(lasso.alphas_ == lasso.alpha_)[0]),
            "intercept": float(lasso.intercept_),
            "nonzero": int(np.count_nonzero(lasso.coef_)),
            "test_predictions": [float(v) for v in pipe.predict(xte)] if len(xte) else [],
            "train_rows": int(len(xtr)),
            "seconds": seconds,
            "cpu_seconds": cpu,
        }
    if a.c_expected:
        names = [layer + "_" + target for layer, target, *_ in PIPELINES]
        print("/* generated by bench/reference/train_reference.py --c-expected */")
        print("static const double expected_alpha[6] = {%s};" % ", ".join(repr(out[n]["alpha"]) for n in names))
        print("static const int expected_alpha_index[6] = {%s};" % ", ".join(str(out[n]["alpha_index"]) for n in names))
        for i, n in enumerate(names):
            print("static const double expected_pred_%d[] = {%s};" % (i, ", ".join(repr(v) for v in out[n]["test_predictions"])))
        print("static const double *const expected_pred[6] = {%s};" % ", ".join("expected_pred_%d" % i for i in range(6)))
        print("static const size_t expected_n_pred[6] = {%s};" % ", ".join(str(len(out[n]["test_predictions"])) for n in names))
        return
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
