// Command glmbench times internal/engine/glm as the search uses it: K-fold
// cross-validation (stratified folds from the search) and a refit on all
// rows of one GLM, on a CSV whose target column is named by -target. It
// prints the wall time and the out-of-fold log loss (classification) or
// RMSE, for comparison with bench/glm/sklearn_glm.py (bench/glm_compare.sh).
package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"time"

	"github.com/drover-ml/drover/internal/engine/frame"
	"github.com/drover-ml/drover/internal/engine/glm"
	"github.com/drover-ml/drover/internal/engine/search"
)

func main() {
	target := flag.String("target", "", "target column")
	folds := flag.Int("folds", 5, "folds")
	lambda := flag.Float64("lambda", glm.DefaultParams().Lambda, "penalty")
	alpha := flag.Float64("alpha", glm.DefaultParams().Alpha, "L1 share")
	threads := flag.Int("threads", 0, "threads (0: all cores)")
	solver := flag.String("solver", "", "cd or qn (default: chosen by the task)")
	flag.Parse()
	if flag.NArg() != 1 || *target == "" {
		fmt.Fprintln(os.Stderr, "usage: glmbench -target NAME [flags] FILE.csv")
		os.Exit(2)
	}
	f, err := frame.ReadFile(flag.Arg(0), frame.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var cols [][]float32
	var cat []bool
	var tcol *frame.Column
	for i := range f.Columns {
		c := f.Columns[i]
		if c.Name == *target {
			tcol = c
			continue
		}
		cols = append(cols, c.Values)
		cat = append(cat, c.Kind == frame.Categorical)
	}
	if tcol == nil {
		fmt.Fprintln(os.Stderr, "no column", *target)
		os.Exit(1)
	}
	task := search.DetectTask(tcol)
	var y []float64
	k, classes := 1, 0
	if task == glm.Regression {
		for _, v := range tcol.Values {
			y = append(y, float64(v))
		}
	} else {
		var levels []string
		y, levels = search.ClassTarget(tcol)
		k, classes = len(levels), len(levels)
	}
	p := glm.DefaultParams()
	p.Lambda, p.Alpha, p.Threads, p.Solver = *lambda, *alpha, *threads, *solver
	n := len(y)
	width := 1
	if task == glm.Multiclass {
		width = k
	}
	fold := search.Folds(y, classes, *folds, 1)
	oof := make([]float64, n*width)
	t0 := time.Now()
	for fi := range *folds {
		var tr, va []int
		for i, v := range fold {
			if v == fi {
				va = append(va, i)
			} else {
				tr = append(tr, i)
			}
		}
		m, err := glm.Fit(context.Background(), sub(cols, tr), cat, pick(y, tr), task, k, p)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		out := make([]float64, len(va)*width)
		m.Predict(sub(cols, va), len(va), out)
		for i, r := range va {
			copy(oof[r*width:(r+1)*width], out[i*width:(i+1)*width])
		}
	}
	tcv := time.Since(t0)
	if _, err := glm.Fit(context.Background(), cols, cat, y, task, k, p); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	total := time.Since(t0)
	var score float64
	name := "logloss"
	for i := range n {
		switch task {
		case glm.Regression:
			d := oof[i] - y[i]
			score += d * d
		case glm.Binary:
			pp := oof[i]
			if y[i] == 0 {
				pp = 1 - pp
			}
			score -= math.Log(max(pp, 1e-15))
		default:
			score -= math.Log(max(oof[i*width+int(y[i])], 1e-15))
		}
	}
	score /= float64(n)
	if task == glm.Regression {
		name, score = "rmse", math.Sqrt(score)
	}
	fmt.Printf("drover glm (%s, lambda=%g alpha=%g solver=%q): %d-fold CV %.2fs + refit %.2fs = %.2fs; cv %s %.4f\n",
		task, *lambda, *alpha, *solver, *folds, tcv.Seconds(), (total - tcv).Seconds(), total.Seconds(), name, score)
}

func sub(cols [][]float32, rows []int) [][]float32 {
	out := make([][]float32, len(cols))
	for j, c := range cols {
		v := make([]float32, len(rows))
		for i, r := range rows {
			v[i] = c[r]
		}
		out[j] = v
	}
	return out
}

func pick(y []float64, rows []int) []float64 {
	out := make([]float64, len(rows))
	for i, r := range rows {
		out[i] = y[r]
	}
	return out
}
