#!/bin/sh
# Times drover's GLM (5-fold CV and a refit, bench/glmbench) against
# scikit-learn's StandardScaler + LogisticRegression(lbfgs, max_iter=1000)
# (bench/glm/sklearn_glm.py) back to back on the same table, REPS times.
# Default table: the generated 20,000 × 16, 26-class letterlike.csv
# (bench/glm/make_tables.py; written to $DIR when missing).
# drover runs twice per rep: its default candidate (lambda 1e-3, alpha 0.5)
# and ridge at sklearn's penalty (C=1: lambda = 1/(C × training rows)).
set -e
REPS=${REPS:-2}
DIR=${DIR:-/tmp/drover-glm-bench}
CSV=${CSV:-$DIR/letterlike.csv}
TARGET=${TARGET:-letter}
[ -f "$CSV" ] || /usr/bin/python3 bench/glm/make_tables.py "$DIR"
go build -o /tmp/glmbench ./bench/glmbench
rows=$(($(wc -l < "$CSV") - 1))
ridge=$(awk -v n="$rows" 'BEGIN { printf "%.6g", 1 / (n * 0.8) }')
for i in $(seq "$REPS"); do
	echo "# rep $i: $(uptime)"
	/tmp/glmbench -target "$TARGET" "$CSV"
	/tmp/glmbench -target "$TARGET" -lambda "$ridge" -alpha 0 "$CSV"
	OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/glm/sklearn_glm.py "$CSV" "$TARGET"
done
