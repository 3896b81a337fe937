#!/usr/bin/python3
"""Computes the scikit-learn reference values in glm_test.go
(TestMatchesSklearn). The table is a formula (no random numbers), so the Go
test builds the same rows. Features are standardised as glm does (mean,
population standard deviation); sklearn's objective, mean log loss +
||w||^2 / (2 C n), is glm's with Lambda = 1/(C n) and Alpha = 0.

Run: /usr/bin/python3 internal/engine/glm/testdata_reference.py
"""
import math

import numpy as np
from sklearn.linear_model import LogisticRegression

n = 90
x1 = np.array([math.sin(i * 0.7) * 3 + 1 for i in range(n)])
x2 = np.array([math.cos(i * 1.3) + 0.1 * i / n for i in range(n)])
ymc = np.array([(int(x1[i] > 0) + int(x2[i] > 0.2) + (1 if i % 7 == 0 else 0)) % 3 for i in range(n)])
ybin = np.array([int(x1[i] + 2 * x2[i] > 0.5) ^ (1 if i % 5 == 0 else 0) for i in range(n)])
X = np.column_stack([x1, x2])
X = (X - X.mean(axis=0)) / X.std(axis=0)
C = 0.5
for name, y in [("binary", ybin), ("multiclass", ymc)]:
    m = LogisticRegression(C=C, tol=1e-12, max_iter=100000).fit(X, y)
    b0 = m.intercept_ - (m.intercept_.mean() if name == "multiclass" else 0)
    print(name, "lambda", 1 / (C * n))
    print(" coef", [[float("%.8g" % v) for v in row] for row in m.coef_])
    print(" intercept", [float("%.8g" % v) for v in b0])
