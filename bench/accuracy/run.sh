#!/bin/sh
# Engine accuracy benchmark (issue 5): drover with default dials against
# XGBoost hist, scikit-learn HistGradientBoosting and a linear model on every
# dataset listed in DATA_DIR/SOURCES.md.
#
# Usage: bench/accuracy/run.sh [DATA_DIR]     (default: ../shared/data from the repo root)
# Env:   THREADS (default: nproc) for every library; RESULTS (default: a new
#        temporary directory) keeps the raw JSON; DROVER_XGBOOST_LIB as in drover;
#        DROVER_ARGS adds flags to every drover train (e.g. "--time 1");
#        BASELINES=FILE reuses the baselines.jsonl of an earlier run on the
#        same DATA_DIR instead of running the baselines again.
# Needs: go, /usr/bin/python3 with Debian's python3-xgboost, python3-sklearn.
# Exit status 1 when drover misses the 1 % bar on a dataset.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
data=$(cd "${1:-../shared/data}" && pwd)
threads=${THREADS:-$(nproc)}
results=${RESULTS:-$(mktemp -d)}
mkdir -p "$results"
py=/usr/bin/python3
export OMP_NUM_THREADS="$threads"
# Idle OpenMP threads sleep instead of spinning: on a shared machine spinning
# workers slow everyone (scikit-learn and XGBoost, in Python and in drover).
export OMP_WAIT_POLICY=PASSIVE

# file:target pairs from the table of SOURCES.md (| file | task | target | ...).
pairs=$(awk -F'|' '$2 ~ /\.csv/ { gsub(/ /, "", $2); gsub(/ /, "", $4); print $2 ":" $4 }' "$data/SOURCES.md")
[ -n "$pairs" ] || { echo "no datasets found in $data/SOURCES.md" >&2; exit 2; }

commit=$(git rev-parse --short HEAD 2>/dev/null || echo "not a git checkout")
echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -m), $(nproc) cores, threads=$threads, $(go version | cut -d' ' -f3), commit $commit"
echo "# results in $results"
go build -o "$results/drover" ./cmd/drover

echo "# baselines (5-fold, random_state=0)" >&2
args=""
for p in $pairs; do args="$args $data/${p%%:*}:${p#*:}"; done
if [ -n "${BASELINES:-}" ]; then
	cp "$BASELINES" "$results/baselines.jsonl"
else
	# shellcheck disable=SC2086
	$py bench/accuracy/baselines.py "$threads" $args > "$results/baselines.jsonl"
fi

for p in $pairs; do
	file=${p%%:*} target=${p#*:}
	echo "# drover train $file ${DROVER_ARGS:-(default dials)}" >&2
	start=$(date +%s%N)
	# shellcheck disable=SC2086
	"$results/drover" train --data "$data/$file" --target "$target" --threads "$threads" ${DROVER_ARGS:-} --json \
		> "$results/$file.drover.json" 2> "$results/$file.drover.log" ||
		echo "drover failed on $file: see $results/$file.drover.log" >&2
	end=$(date +%s%N)
	echo "$(( (end - start) / 1000000 ))e-3" > "$results/$file.drover.seconds"
done

$py bench/accuracy/report.py "$results"
