// Command gbmbench times internal/engine/gbm on a numeric CSV (header, label
// last), for comparison with internal/engine/gbm/testdata/make_bench.py:
//
//	go build -o /tmp/gbmbench ./bench/gbmbench
//	/usr/bin/time -v /tmp/gbmbench internal/engine/gbm/testdata/bench200k.csv
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/drover-ml/drover/internal/engine/gbm"
)

func main() {
	rounds := flag.Int("rounds", 200, "boosting rounds")
	depth := flag.Int("depth", 6, "max depth")
	threads := flag.Int("threads", 2, "threads")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: gbmbench [flags] FILE.csv")
		os.Exit(2)
	}
	t0 := time.Now()
	x, y, err := load(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	t1 := time.Now()
	p := gbm.DefaultParams()
	p.NumRounds, p.MaxDepth, p.LearningRate, p.Threads = *rounds, *depth, 0.1, *threads
	m, err := gbm.Train(context.Background(), x, y, nil, nil, p, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	t2 := time.Now()
	out := make([]float64, x.Rows)
	m.PredictThreads(x, out, 1)
	t3 := time.Now()
	b := m.Bin(x)
	t4 := time.Now()
	m.PredictBinned(b, out, 1)
	t5 := time.Now()
	fmt.Printf("drover gbm: load %.2fs fit %.3fs predict(1 thread) raw %.3fs (%.0f rows/s) binned %.3fs (%.0f rows/s, binning %.3fs) train AUC %.5f\n",
		t1.Sub(t0).Seconds(), t2.Sub(t1).Seconds(),
		t3.Sub(t2).Seconds(), float64(x.Rows)/t3.Sub(t2).Seconds(),
		t5.Sub(t4).Seconds(), float64(x.Rows)/t5.Sub(t4).Seconds(), t4.Sub(t3).Seconds(), auc(y, out))
}

func load(path string) (*gbm.Matrix, []float32, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	if !sc.Scan() {
		return nil, nil, fmt.Errorf("%s: empty", path)
	}
	nf := strings.Count(sc.Text(), ",")
	m := &gbm.Matrix{Cols: make([][]float32, nf)}
	var y []float32
	for sc.Scan() {
		line := sc.Text()
		for j := 0; j <= nf; j++ {
			field := line
			if k := strings.IndexByte(line, ','); k >= 0 {
				field, line = line[:k], line[k+1:]
			} else if j < nf {
				return nil, nil, fmt.Errorf("%s: line %d: too few fields", path, m.Rows+2)
			}
			v, err := strconv.ParseFloat(field, 32)
			if err != nil {
				v = math.NaN()
			}
			if j == nf {
				y = append(y, float32(v))
			} else {
				m.Cols[j] = append(m.Cols[j], float32(v))
			}
		}
		m.Rows++
	}
	return m, y, sc.Err()
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
