// Command gbmbench times internal/engine/gbm on a numeric CSV (header, label
// last), for comparison with internal/engine/gbm/testdata/make_bench.py:
//
//	go build -o /tmp/gbmbench ./bench/gbmbench
//	/usr/bin/time -v /tmp/gbmbench internal/engine/gbm/testdata/bench200k.csv
//
// With -model PATH it reads the model from PATH (JSON) instead of training,
// or trains it and writes it there; with -reps N it then times N scoring
// passes over all rows on one goroutine with GOMAXPROCS=1, from raw floats
// and from pre-binned rows, and prints the best and median pass in rows/s
// and the rows per CPU second of the process (bench/gbm_predict.sh).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"sort"
	"syscall"
	"time"

	"github.com/drover-ml/drover/internal/engine/frame"
	"github.com/drover-ml/drover/internal/engine/gbm"
)

func main() {
	rounds := flag.Int("rounds", 200, "boosting rounds")
	depth := flag.Int("depth", 6, "max depth")
	threads := flag.Int("threads", 2, "threads")
	modelPath := flag.String("model", "", "read the model from this JSON file, or train and write it there")
	reps := flag.Int("reps", 0, "time this many one-thread scoring passes (GOMAXPROCS=1) instead of one")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the fit to this file")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: gbmbench [flags] FILE.csv")
		os.Exit(2)
	}
	t0 := time.Now()
	x, y, classes, err := load(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	t1 := time.Now()
	p := gbm.DefaultParams()
	p.NumRounds, p.MaxDepth, p.LearningRate, p.Threads = *rounds, *depth, 0.1, *threads
	if classes > 2 {
		p.Objective, p.NumClass = gbm.ObjectiveMulticlass, classes
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(f)
	}
	m, trained, err := model(*modelPath, x, y, p)
	if *cpuprofile != "" {
		pprof.StopCPUProfile()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	t2 := time.Now()
	if *reps > 0 {
		if trained {
			fmt.Printf("drover gbm: trained in %.3fs, model written to %s\n", t2.Sub(t1).Seconds(), *modelPath)
		}
		scoring(m, x, y, *reps)
		return
	}
	out := make([]float64, x.Rows*m.Outputs())
	m.PredictThreads(x, out, 1)
	t3 := time.Now()
	b := m.Bin(x)
	t4 := time.Now()
	m.PredictBinned(b, out, 1)
	t5 := time.Now()
	score := fmt.Sprintf("train AUC %.5f", auc(y, out))
	if classes > 2 {
		score = fmt.Sprintf("train logloss %.5f (%d classes)", logloss(y, out, classes), classes)
	}
	fmt.Printf("drover gbm: load %.2fs fit %.3fs predict(1 thread) raw %.3fs (%.0f rows/s) binned %.3fs (%.0f rows/s, binning %.3fs) %s\n",
		t1.Sub(t0).Seconds(), t2.Sub(t1).Seconds(),
		t3.Sub(t2).Seconds(), float64(x.Rows)/t3.Sub(t2).Seconds(),
		t5.Sub(t4).Seconds(), float64(x.Rows)/t5.Sub(t4).Seconds(), t4.Sub(t3).Seconds(), score)
}

// logloss is the mean multiclass log loss of row-major probabilities.
func logloss(y []float32, prob []float64, k int) float64 {
	var s float64
	for i, c := range y {
		s -= math.Log(max(prob[i*k+int(c)], 1e-15))
	}
	return s / float64(len(y))
}

// model reads the model at path, or trains one (and writes it to path when
// path is not empty); trained reports which.
func model(path string, x *gbm.Matrix, y []float32, p gbm.Params) (m *gbm.Model, trained bool, err error) {
	if path != "" {
		if data, err := os.ReadFile(path); err == nil {
			m = new(gbm.Model)
			if err := json.Unmarshal(data, m); err != nil {
				return nil, false, fmt.Errorf("%s: %w", path, err)
			}
			if err := m.Validate(); err != nil {
				return nil, false, fmt.Errorf("%s: %w", path, err)
			}
			if m.NumFeatures != x.NumFeatures() {
				return nil, false, fmt.Errorf("%s: model has %d features, data %d", path, m.NumFeatures, x.NumFeatures())
			}
			return m, false, nil
		}
	}
	m, err = gbm.Train(context.Background(), x, y, nil, nil, p, nil)
	if err != nil || path == "" {
		return m, true, err
	}
	data, err := json.Marshal(m)
	if err == nil {
		err = os.WriteFile(path, data, 0o644)
	}
	return m, true, err
}

// scoring times reps one-thread passes of Predict and PredictBinned over x.
func scoring(m *gbm.Model, x *gbm.Matrix, y []float32, reps int) {
	runtime.GOMAXPROCS(1)
	out := make([]float64, x.Rows*m.Outputs())
	b := m.Bin(x)
	report := func(name string, pass func()) {
		pass() // warm up
		walls := make([]float64, reps)
		cpu0 := cpuSeconds()
		for i := range walls {
			t := time.Now()
			pass()
			walls[i] = time.Since(t).Seconds()
		}
		cpu := cpuSeconds() - cpu0
		sort.Float64s(walls)
		rows := float64(x.Rows)
		fmt.Printf("%-6s best %8.0f rows/s  median %8.0f rows/s  %8.0f rows/cpu-s  (%d passes of %d rows)\n",
			name, rows/walls[0], rows/walls[len(walls)/2], rows*float64(reps)/cpu, reps, x.Rows)
	}
	fmt.Printf("drover gbm: %d trees, GOMAXPROCS=%d, 1 predict thread\n", len(m.Trees), runtime.GOMAXPROCS(0))
	report("raw", func() { m.PredictThreads(x, out, 1) })
	if m.Outputs() > 1 {
		report("binned", func() { m.PredictBinned(b, out, 1) })
		return
	}
	auc1 := auc(y, out)
	report("binned", func() { m.PredictBinned(b, out, 1) })
	fmt.Printf("train AUC raw %.5f binned %.5f\n", auc1, auc(y, out))
}

// cpuSeconds returns the user+system CPU time of the process.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// load reads a CSV of numbers whose last column is the label (the
// engine's frame.ReadNumericFile): 0/1, class indexes, or class names.
// Labels become indexes in the sorted order of their values (numbers) or
// names; classes is the number of distinct labels.
func load(path string) (*gbm.Matrix, []float32, int, error) {
	fr, err := frame.ReadNumericFile(path)
	if err != nil {
		return nil, nil, 0, err
	}
	cols, y, err := fr.XY()
	if err != nil {
		return nil, nil, 0, fmt.Errorf("%s: %w", path, err)
	}
	m := &gbm.Matrix{Rows: fr.Rows, Cols: cols}
	if label := fr.Columns[len(fr.Columns)-1]; label.Kind == frame.Categorical {
		return m, y, len(label.Levels), nil
	}
	if i := slices.IndexFunc(y, func(v float32) bool { return v != v }); i >= 0 {
		return nil, nil, 0, fmt.Errorf("%s: row %d has no label", path, i+1)
	}
	levels := slices.Compact(slices.Sorted(slices.Values(y)))
	for i, v := range y {
		k, _ := slices.BinarySearch(levels, v)
		y[i] = float32(k)
	}
	return m, y, len(levels), nil
}

func auc(y []float32, score []float64) float64 {
	idx := make([]int, len(y))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return score[idx[a]] < score[idx[b]] })
	var pos, neg, rank float64
	for i, k := range idx {
		if y[k] == 1 {
			pos++
			rank += float64(i + 1)
		} else {
			neg++
		}
	}
	return (rank - pos*(pos+1)/2) / (pos * neg)
}
