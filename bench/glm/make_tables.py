#!/usr/bin/python3
"""Generates the GLM benchmark tables (deterministic: fixed seeds).

letterlike.csv: 20,000 rows x 16 integer features (0-15) and a 26-class
target "letter" (A-Z), shaped like the UCI "letter" table (which cannot be
downloaded here): every class is a mixture of three Gaussian clusters in
16 dimensions, so a linear model does reasonably and trees do better.

imbalanced.csv: 20,000 rows, binary target "y" with about 4 % positives,
8 numeric features and "zip", a categorical with 5,000 levels whose effect
on the target is real (a per-level offset), for class weights and target
encoding.

Usage: make_tables.py OUTDIR
"""
import os
import sys

import numpy as np


def letterlike(path, n=20000, d=16, k=26, seed=1):
    rng = np.random.default_rng(seed)
    centers = rng.uniform(2, 13, size=(k, 3, d))
    scales = rng.uniform(0.8, 2.2, size=(k, 3, d))
    y = np.arange(n) % k
    rng.shuffle(y)
    comp = rng.integers(0, 3, size=n)
    x = centers[y, comp] + scales[y, comp] * rng.standard_normal((n, d))
    x = np.clip(np.rint(x), 0, 15).astype(int)
    with open(path, "w") as f:
        f.write(",".join(["letter"] + [f"x{j + 1}" for j in range(d)]) + "\n")
        for i in range(n):
            f.write(chr(65 + y[i]) + "," + ",".join(map(str, x[i])) + "\n")


def imbalanced(path, n=20000, levels=5000, seed=2):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 8))
    zip_ = rng.zipf(1.3, size=n) % levels
    offset = rng.normal(0, 1.5, size=levels)
    z = -4.2 + x[:, 0] + 0.8 * x[:, 1] - 0.6 * x[:, 2] * x[:, 3] + offset[zip_]
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-z))).astype(int)
    with open(path, "w") as f:
        f.write(",".join([f"x{j + 1}" for j in range(8)] + ["zip", "y"]) + "\n")
        for i in range(n):
            f.write(",".join(f"{v:.4f}" for v in x[i]) + f",z{zip_[i]},{'yes' if y[i] else 'no'}\n")


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "."
    os.makedirs(out, exist_ok=True)
    letterlike(os.path.join(out, "letterlike.csv"))
    imbalanced(os.path.join(out, "imbalanced.csv"))
