package gbm

import (
	"context"
	"encoding/json"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"
)

// benchData returns the benchmark set: testdata/bench200k.csv (written by
// testdata/make_bench.py, or the file named by $GBM_BENCH_CSV) if present,
// else a synthetic set of the same shape.
var benchData = sync.OnceValues(func() (*Matrix, []float32) {
	path := os.Getenv("GBM_BENCH_CSV")
	if path == "" {
		path = "testdata/bench200k.csv"
	}
	if x, y, err := loadCSV(path); err == nil {
		return x, y
	}
	return synthBinary(200000, 50, 42)
})

func benchParams() Params {
	p := DefaultParams()
	p.NumRounds, p.MaxDepth, p.LearningRate, p.Threads = 200, 6, 0.1, 2
	return p
}

// BenchmarkTrain200k is the XGBoost comparison: 200k × 50, binary, depth 6,
// 200 rounds, 2 threads.
func BenchmarkTrain200k(b *testing.B) {
	x, y := benchData()
	p := benchParams()
	for b.Loop() {
		if _, err := Train(b.Context(), x, y, nil, nil, p, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// benchModel is the 200-round depth-6 model of the benchmark set. With
// $GBM_BENCH_MODEL set it is read from that JSON file, or trained once and
// written there, so that repeated Predict runs skip training.
var benchModel = sync.OnceValue(func() *Model {
	path := os.Getenv("GBM_BENCH_MODEL")
	if path != "" {
		if data, err := os.ReadFile(path); err == nil {
			m := new(Model)
			if err := json.Unmarshal(data, m); err != nil {
				panic(err)
			}
			if err := m.Validate(); err != nil {
				panic(err)
			}
			return m
		}
	}
	x, y := benchData()
	m, err := Train(context.Background(), x, y, nil, nil, benchParams(), nil)
	if err != nil {
		panic(err)
	}
	if path != "" {
		data, err := json.Marshal(m)
		if err != nil {
			panic(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			panic(err)
		}
	}
	return m
})

// BenchmarkPredict scores the 200k rows with a 200-tree depth-6 model on one
// goroutine, from raw floats and from pre-binned rows.
func BenchmarkPredict(b *testing.B) {
	x, _ := benchData()
	m := benchModel()
	out := make([]float64, x.Rows)
	b.Run("raw", func(b *testing.B) {
		start, cpu := time.Now(), cpuTime()
		for b.Loop() {
			m.PredictThreads(x, out, 1)
		}
		reportRows(b, x.Rows*b.N, start, cpu)
	})
	bx := m.Bin(x)
	b.Run("binned", func(b *testing.B) {
		start, cpu := time.Now(), cpuTime()
		for b.Loop() {
			m.PredictBinned(bx, out, 1)
		}
		reportRows(b, x.Rows*b.N, start, cpu)
	})
}

// cpuTime returns the CPU time used by the process so far. On a shared
// machine, rows per CPU second is the steadier measure of one core's speed.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportRows(b *testing.B, rows int, start time.Time, cpu time.Duration) {
	b.ReportMetric(float64(rows)/time.Since(start).Seconds(), "rows/s")
	b.ReportMetric(float64(rows)/(cpuTime()-cpu).Seconds(), "rows/cpu-s")
}
