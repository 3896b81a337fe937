#!/bin/sh
# Times drover's gbm and XGBoost hist back to back on the same CSV, REPS
# times each, with peak RSS from /usr/bin/time -v. Run from the repository
# root; writes the CSV first if it is missing.
set -e
REPS=${REPS:-3}
CSV=${CSV:-internal/engine/gbm/testdata/bench200k.csv}
[ -f "$CSV" ] || /usr/bin/python3 internal/engine/gbm/testdata/make_bench.py gen "$CSV"
go build -o /tmp/gbmbench ./bench/gbmbench
for i in $(seq "$REPS"); do
	/usr/bin/time -v /tmp/gbmbench "$CSV" 2>/tmp/gbmbench.time
	grep -E "Maximum resident|Elapsed|User time|System time" /tmp/gbmbench.time
	/usr/bin/time -v /usr/bin/python3 internal/engine/gbm/testdata/make_bench.py xgb "$CSV" 2>/tmp/xgb.time
	grep -E "Maximum resident|Elapsed|User time|System time" /tmp/xgb.time
done
