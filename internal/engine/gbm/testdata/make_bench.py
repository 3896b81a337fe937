#!/usr/bin/python3
"""Benchmark data and the XGBoost baseline for internal/engine/gbm.

    /usr/bin/python3 make_bench.py gen [PATH]   # write the 200k x 50 CSV (default bench200k.csv here)
    /usr/bin/python3 make_bench.py xgb [PATH]   # load the CSV, time XGBoost hist fit and predict
    /usr/bin/python3 make_bench.py hgb [PATH]   # the same for scikit-learn's HistGradientBoostingClassifier
                                                # (threads from OMP_NUM_THREADS)

Peak memory: run the xgb mode under /usr/bin/time -v and read "Maximum resident set size".
The CSV has a header f0..f49,y; y is 0/1. xgb also takes a multiclass CSV whose label is
class names (go run ./bench/tables -table letters -out /tmp/letters.csv).
"""
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def gen(path):
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=200000, n_features=50, n_informative=20,
                               n_redundant=10, flip_y=0.02, random_state=42)
    header = ",".join([f"f{i}" for i in range(X.shape[1])] + ["y"])
    data = np.column_stack([X.astype(np.float32), y])
    fmt = ["%.7g"] * X.shape[1] + ["%d"]
    np.savetxt(path, data, delimiter=",", header=header, comments="", fmt=fmt)
    print(f"wrote {path}: {X.shape[0]} rows x {X.shape[1]} features")


def load(path):
    # float32 like drover's Matrix; no pandas on Debian's python here. The
    # label (last column) may be 0/1, class indexes or class names; names
    # map to indexes in sorted order, as gbmbench does.
    with open(path) as f:
        nf = f.readline().count(",")
    X = np.loadtxt(path, delimiter=",", skiprows=1, usecols=range(nf), dtype=np.float32)
    labels = np.loadtxt(path, delimiter=",", skiprows=1, usecols=[nf], dtype=str)
    try:
        values = labels.astype(np.float64)
        levels, y = np.unique(values, return_inverse=True)
    except ValueError:
        levels, y = np.unique(labels, return_inverse=True)
    return X, y.astype(np.float32), len(levels)


def xgb(path):
    import xgboost

    t0 = time.perf_counter()
    X, y, classes = load(path)
    t1 = time.perf_counter()
    clf = xgboost.XGBClassifier(tree_method="hist", max_depth=6, n_estimators=200,
                                learning_rate=0.1, n_jobs=2)
    clf.fit(X, y)
    t2 = time.perf_counter()
    p = clf.predict_proba(X)
    t3 = time.perf_counter()
    from sklearn.metrics import log_loss, roc_auc_score
    if classes > 2:
        score = f"train logloss {log_loss(y, p):.5f} ({classes} classes)"
    else:
        score = f"train AUC {roc_auc_score(y, p[:, 1]):.5f}"
    print(f"xgboost {xgboost.__version__}: load {t1 - t0:.2f}s fit {t2 - t1:.3f}s "
          f"predict {t3 - t2:.3f}s ({len(y) / (t3 - t2):.0f} rows/s) {score}")


def hgb(path):
    import sklearn
    from sklearn.ensemble import HistGradientBoostingClassifier

    t0 = time.perf_counter()
    X, y, classes = load(path)
    t1 = time.perf_counter()
    # The same trees as the others: 200 iterations, depth 6 (up to 64 leaves),
    # learning rate 0.1, 255 value bins, no early stopping.
    clf = HistGradientBoostingClassifier(max_iter=200, max_depth=6, max_leaf_nodes=None,
                                         learning_rate=0.1, max_bins=255, early_stopping=False)
    clf.fit(X, y)
    t2 = time.perf_counter()
    p = clf.predict_proba(X)
    t3 = time.perf_counter()
    from sklearn.metrics import log_loss, roc_auc_score
    if classes > 2:
        score = f"train logloss {log_loss(y, p):.5f} ({classes} classes)"
    else:
        score = f"train AUC {roc_auc_score(y, p[:, 1]):.5f}"
    print(f"sklearn-hgb {sklearn.__version__}: load {t1 - t0:.2f}s fit {t2 - t1:.3f}s "
          f"predict {t3 - t2:.3f}s ({len(y) / (t3 - t2):.0f} rows/s) {score}")


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else "gen"
    path = sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "bench200k.csv")
    {"gen": gen, "xgb": xgb, "hgb": hgb}[mode](path)
