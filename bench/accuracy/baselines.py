#!/usr/bin/python3
"""Baselines of drover's accuracy benchmark (issue 5).

For every dataset named on the command line (FILE:TARGET), run XGBoost hist,
scikit-learn HistGradientBoosting and a linear model with the same 5-fold
protocol and print one JSON line per dataset with the mean CV score of each.

Protocol: stratified 5-fold (classification) or KFold (regression), both
shuffled with random_state=0. Scorers: ROC AUC (binary), log loss
(multiclass), RMSE (regression). Each library keeps its defaults except:
XGBoost tree_method="hist"; the linear model standardises numeric columns
(mean-imputed, with a missing indicator) and one-hot encodes categoricals
(missing is its own level); tree models see categoricals as ordinal codes
(HistGradientBoosting: native categorical support) and numeric missing
values as NaN. Task detection mirrors drover's: a non-numeric target with
two levels, or a numeric one with two values, is binary; a non-numeric one
with more levels, or 3-10 distinct integers with at least 10 rows each, is
multiclass; anything else is regression.

Runs on Debian's python3-xgboost and python3-sklearn (no pandas needed).
"""
import csv
import json
import math
import sys
import time
import warnings

import numpy as np
import scipy.sparse
import xgboost
import sklearn
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import log_loss, mean_squared_error, roc_auc_score
from sklearn.model_selection import KFold, StratifiedKFold

MISSING = {"", "NA", "?"}
SEED = 0
FOLDS = 5


def read_csv(path, target):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    t = header.index(target)
    body = [r for r in body if r[t] not in MISSING]
    cols = {}
    for j, name in enumerate(header):
        vals = [r[j] for r in body]
        try:
            num = np.array([math.nan if v in MISSING else float(v) for v in vals])
            cols[name] = ("num", num)
        except ValueError:
            levels = sorted({v for v in vals if v not in MISSING})
            code = {v: i for i, v in enumerate(levels)}
            cols[name] = ("cat", np.array([math.nan if v in MISSING else code[v] for v in vals], dtype=float), levels)
    y_col = cols.pop(target)
    # Drop constant and all-missing features, as drover does.
    feats = {}
    for name, c in cols.items():
        v = c[1][~np.isnan(c[1])]
        if len(v) == 0 or np.all(v == v[0]):
            continue
        if c[0] == "cat" and len(c[2]) > 0.9 * len(body):
            continue  # identifier-like
        feats[name] = c
    return feats, y_col


def detect_task(y_col):
    v = y_col[1]
    distinct = np.unique(v[~np.isnan(v)])
    if y_col[0] == "cat":
        return ("binary" if len(distinct) == 2 else "multiclass"), v.astype(int)
    y_idx = np.searchsorted(distinct, v)
    if len(distinct) == 2:
        return "binary", y_idx
    if 3 <= len(distinct) <= 10 and np.all(distinct == np.trunc(distinct)) and len(v) >= 10 * len(distinct):
        return "multiclass", y_idx
    return "regression", v


def tree_matrix(feats):
    return np.column_stack([c[1] for c in feats.values()]), [c[0] == "cat" for c in feats.values()]


def linear_matrix(feats, train):
    """Standardised numerics (+ missing indicator) and one-hot categoricals,
    with statistics from the training rows only."""
    parts = []
    for c in feats.values():
        x = c[1]
        if c[0] == "num":
            miss = np.isnan(x)
            mean = np.nanmean(x[train]) if np.any(~miss[train]) else 0.0
            z = np.where(miss, mean, x)
            sd = z[train].std() or 1.0
            parts.append(((z - mean) / sd)[:, None])
            if miss.any():
                parts.append(miss[:, None].astype(float))
        else:
            k = len(c[2])
            codes = np.where(np.isnan(x), k, x).astype(int)
            parts.append(scipy.sparse.csr_matrix((np.ones(len(codes)), (np.arange(len(codes)), codes)),
                                                 shape=(len(codes), k + 1)))
    return scipy.sparse.hstack([scipy.sparse.csr_matrix(p) for p in parts]).tocsr()


def score(task, y, p):
    if task == "binary":
        return roc_auc_score(y, p[:, 1])
    if task == "multiclass":
        return log_loss(y, p, labels=np.arange(p.shape[1]))
    return math.sqrt(mean_squared_error(y, p))


def models(task, k, threads):
    clf = task != "regression"
    if task == "binary":
        xgb = xgboost.XGBClassifier(tree_method="hist", n_jobs=threads, random_state=SEED)
    elif task == "multiclass":
        xgb = xgboost.XGBClassifier(tree_method="hist", n_jobs=threads, random_state=SEED, objective="multi:softprob")
    else:
        xgb = xgboost.XGBRegressor(tree_method="hist", n_jobs=threads, random_state=SEED)
    hgb = (HistGradientBoostingClassifier if clf else HistGradientBoostingRegressor)(random_state=SEED)
    lin = LogisticRegression(max_iter=5000) if clf else Ridge(alpha=1.0)
    return {"xgboost": xgb, "sklearn-hgb": hgb, "linear": lin}


def predict(m, x, clf):
    return m.predict_proba(x) if clf else m.predict(x)


def run(path, target, threads):
    feats, y_col = read_csv(path, target)
    task, y = detect_task(y_col)
    clf = task != "regression"
    k = int(y.max()) + 1 if clf else 1
    xt, cat = tree_matrix(feats)
    splitter = StratifiedKFold(FOLDS, shuffle=True, random_state=SEED) if clf else KFold(FOLDS, shuffle=True, random_state=SEED)
    scores = {name: [] for name in ("xgboost", "sklearn-hgb", "linear")}
    secs = {name: 0.0 for name in scores}
    for train, test in splitter.split(xt, y):
        for name, m in models(task, k, threads).items():
            t0 = time.time()
            if name == "linear":
                xl = linear_matrix(feats, train)
                m.fit(xl[train], y[train])
                p = predict(m, xl[test], clf)
            else:
                if name == "sklearn-hgb" and any(cat):
                    # HistGradientBoosting takes at most 255 categories per
                    # feature: wider categoricals stay ordinal codes.
                    m.set_params(categorical_features=np.array(
                        [c and np.nanmax(xt[:, j]) < 255 for j, c in enumerate(cat)]))
                m.fit(xt[train], y[train])
                p = predict(m, xt[test], clf)
            secs[name] += time.time() - t0
            scores[name].append(score(task, y[test], p))
    return {"task": task, "rows": len(y), "features": len(feats),
            "metric": {"binary": "auc", "multiclass": "logloss", "regression": "rmse"}[task],
            "scores": {n: float(np.mean(v)) for n, v in scores.items()},
            "std": {n: float(np.std(v, ddof=1)) for n, v in scores.items()},
            "seconds": {n: round(v, 2) for n, v in secs.items()}}


def main():
    threads = int(sys.argv[1])
    warnings.filterwarnings("ignore")
    for arg in sys.argv[2:]:
        path, target = arg.rsplit(":", 1)
        out = run(path, target, threads)
        out.update(file=path, target=target, versions={"xgboost": xgboost.__version__, "sklearn": sklearn.__version__})
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
