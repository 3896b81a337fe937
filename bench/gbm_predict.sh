#!/bin/sh
# Scoring speed of drover's gbm on one core: REPS passes over the 200k × 50
# benchmark CSV with a 200-tree depth-6 model, one goroutine, GOMAXPROCS=1,
# from raw floats and from pre-binned rows. The model is trained once and
# kept in MODEL (JSON); delete it to retrain. Run from the repository root.
set -e
REPS=${REPS:-20}
CSV=${CSV:-internal/engine/gbm/testdata/bench200k.csv}
MODEL=${MODEL:-/tmp/gbm_bench_model.json}
[ -f "$CSV" ] || /usr/bin/python3 internal/engine/gbm/testdata/make_bench.py gen "$CSV"
go build -o /tmp/gbmbench ./bench/gbmbench
/tmp/gbmbench -model "$MODEL" -reps "$REPS" "$CSV"
