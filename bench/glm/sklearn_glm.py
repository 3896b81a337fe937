#!/usr/bin/python3
"""scikit-learn's side of bench/glm_compare.sh: StandardScaler +
LogisticRegression(lbfgs, max_iter=1000) (or Ridge for a numeric target),
5-fold stratified CV and a refit on all rows; prints the wall time and the
out-of-fold log loss. Categorical columns are one-hot coded.

Usage: sklearn_glm.py FILE.csv TARGET [C]
"""
import sys
import time
import warnings

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import log_loss, mean_squared_error
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

warnings.filterwarnings("ignore")
path, target = sys.argv[1], sys.argv[2]
C = float(sys.argv[3]) if len(sys.argv) > 3 else 1.0
df = pd.read_csv(path)
y = df.pop(target)
cats = [c for c in df.columns if df[c].dtype == object]
nums = [c for c in df.columns if c not in cats]
df[nums] = df[nums].fillna(df[nums].mean())
classify = y.dtype == object or y.nunique() <= 10
pre = ColumnTransformer([("num", StandardScaler(), nums)] +
                        ([("cat", OneHotEncoder(handle_unknown="ignore", min_frequency=5), cats)] if cats else []))
if classify:
    y = y.astype("category").cat.codes.to_numpy()
    est = LogisticRegression(C=C, max_iter=1000)
    folds = StratifiedKFold(5, shuffle=True, random_state=1)
else:
    y = y.to_numpy(dtype=float)
    est = Ridge(alpha=1.0)
    folds = KFold(5, shuffle=True, random_state=1)
t0 = time.time()
oof = np.zeros((len(y), len(np.unique(y))) if classify else len(y))
for tr, va in folds.split(df, y):
    m = make_pipeline(pre, est).fit(df.iloc[tr], y[tr])
    oof[va] = m.predict_proba(df.iloc[va]) if classify else m.predict(df.iloc[va])
tcv = time.time() - t0
make_pipeline(pre, est).fit(df, y)
total = time.time() - t0
if classify:
    score = "logloss %.4f" % log_loss(y, oof)
else:
    score = "rmse %.4f" % mean_squared_error(y, oof) ** 0.5
print("sklearn %s: 5-fold CV %.2fs + refit %.2fs = %.2fs; cv %s" %
      (type(est).__name__, tcv, total - tcv, total, score))
