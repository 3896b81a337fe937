#!/bin/sh
# Times drover's gbm and XGBoost hist back to back (200 rounds, depth 6,
# learning rate 0.1, 2 threads), REPS times each, on the 200k × 50 binary
# CSV and the 20k × 16, 26-class letters table, with peak RSS from
# /usr/bin/time -v and the same-run fit-time ratio drover / XGBoost. Run
# from the repository root; writes the CSVs first if they are missing.
# TABLES="binary" or "multiclass" runs one of them. scikit-learn's
# HistGradientBoostingClassifier (same trees, no early stopping) runs too
# unless HGB=0. OpenMP gets 2 threads that sleep when idle (PASSIVE): on a
# shared machine spinning OpenMP workers slow XGBoost down by far more than
# they slow anyone else.
set -e
export OMP_NUM_THREADS=2 OMP_WAIT_POLICY=PASSIVE
HGB=${HGB:-1}
REPS=${REPS:-3}
CSV=${CSV:-internal/engine/gbm/testdata/bench200k.csv}
LETTERS=${LETTERS:-internal/engine/gbm/testdata/letters20k.csv}
TABLES=${TABLES:-binary multiclass}
[ -f "$CSV" ] || /usr/bin/python3 internal/engine/gbm/testdata/make_bench.py gen "$CSV"
[ -f "$LETTERS" ] || go run ./bench/tables -table letters -out "$LETTERS"
go build -o /tmp/gbmbench ./bench/gbmbench
fit() { sed -n 's/.* fit \([0-9.]*\)s.*/\1/p' "$1"; }
rss() { sed -n 's/.*Maximum resident set size (kbytes): //p' "$1"; }
for table in $TABLES; do
	case $table in
	binary) data=$CSV ;;
	multiclass) data=$LETTERS ;;
	*) echo "unknown table $table" >&2; exit 2 ;;
	esac
	echo "== $table: $data ($(uptime | sed 's/.*load/load/'))"
	for i in $(seq "$REPS"); do
		/usr/bin/time -v /tmp/gbmbench "$data" >/tmp/gbmbench.out 2>/tmp/gbmbench.time
		/usr/bin/time -v /usr/bin/python3 internal/engine/gbm/testdata/make_bench.py xgb "$data" >/tmp/xgb.out 2>/tmp/xgb.time
		cat /tmp/gbmbench.out /tmp/xgb.out
		d=$(fit /tmp/gbmbench.out) x=$(fit /tmp/xgb.out)
		echo "$table rep $i ($(uptime | sed 's/.*load/load/')): fit drover ${d}s xgboost ${x}s ratio $(echo "$d $x" | awk '{printf "%.2f", $1/$2}')" \
			"peak RSS drover $(rss /tmp/gbmbench.time) KB xgboost $(rss /tmp/xgb.time) KB"
		if [ "$HGB" = 1 ]; then
			/usr/bin/time -v /usr/bin/python3 internal/engine/gbm/testdata/make_bench.py hgb "$data" >/tmp/hgb.out 2>/tmp/hgb.time
			cat /tmp/hgb.out
			h=$(fit /tmp/hgb.out)
			echo "$table rep $i: fit drover ${d}s sklearn-hgb ${h}s ratio $(echo "$d $h" | awk '{printf "%.2f", $1/$2}')" \
				"peak RSS sklearn-hgb $(rss /tmp/hgb.time) KB"
		fi
	done
done
