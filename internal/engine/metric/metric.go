// Package metric holds the scorers the engine ranks models by.
//
// Every scorer takes the truth y and a prediction p for n rows:
//   - regression: y and p are values (k == 1);
//   - binary and multiclass: y holds class indices 0..k-1 and p holds k
//     probabilities per row, row-major (len(p) == n*k). Binary uses k == 2
//     with class 1 the positive class.
package metric

import (
	"cmp"
	"math"
	"slices"
	"strings"
)

// Tasks.
const (
	Binary     = "binary"
	Multiclass = "multiclass"
	Regression = "regression"
)

// Scorer is one metric.
type Scorer struct {
	Name           string
	HigherIsBetter bool
	Tasks          []string
	// Score computes the metric; see the package doc for the layout.
	Score func(y, p []float64, k int) float64
}

// AppliesTo reports whether s can score task.
func (s *Scorer) AppliesTo(task string) bool { return slices.Contains(s.Tasks, task) }

// Better reports whether score a beats score b under s. NaN never wins.
func (s *Scorer) Better(a, b float64) bool {
	if math.IsNaN(a) {
		return false
	}
	if math.IsNaN(b) {
		return true
	}
	if s.HigherIsBetter {
		return a > b
	}
	return a < b
}

var all = []*Scorer{
	{Name: "auc", HigherIsBetter: true, Tasks: []string{Binary}, Score: AUC},
	{Name: "logloss", HigherIsBetter: false, Tasks: []string{Binary, Multiclass}, Score: LogLoss},
	{Name: "accuracy", HigherIsBetter: true, Tasks: []string{Binary, Multiclass}, Score: Accuracy},
	{Name: "f1", HigherIsBetter: true, Tasks: []string{Binary}, Score: F1},
	{Name: "rmse", HigherIsBetter: false, Tasks: []string{Regression}, Score: RMSE},
	{Name: "mae", HigherIsBetter: false, Tasks: []string{Regression}, Score: MAE},
	{Name: "r2", HigherIsBetter: true, Tasks: []string{Regression}, Score: R2},
}

// All returns every scorer.
func All() []*Scorer { return slices.Clone(all) }

// Names lists every scorer name.
func Names() []string {
	out := make([]string, len(all))
	for i, s := range all {
		out[i] = s.Name
	}
	return out
}

// Get finds a scorer by name, case-insensitively.
func Get(name string) (*Scorer, bool) {
	name = strings.ToLower(strings.TrimSpace(name))
	for _, s := range all {
		if s.Name == name {
			return s, true
		}
	}
	return nil, false
}

// For lists the scorers that apply to task.
func For(task string) []*Scorer {
	var out []*Scorer
	for _, s := range all {
		if s.AppliesTo(task) {
			out = append(out, s)
		}
	}
	return out
}

// Default is the scorer used when none is named: AUC for binary, logloss
// for multiclass, RMSE for regression.
func Default(task string) *Scorer {
	switch task {
	case Binary:
		s, _ := Get("auc")
		return s
	case Multiclass:
		s, _ := Get("logloss")
		return s
	default:
		s, _ := Get("rmse")
		return s
	}
}

// AUC is the area under the ROC curve of the positive class, ties counted
// half (the Mann-Whitney statistic). NaN when only one class is present.
func AUC(y, p []float64, k int) float64 {
	n := len(y)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		pa, pb := p[a*k+k-1], p[b*k+k-1]
		switch {
		case pa < pb:
			return -1
		case pa > pb:
			return 1
		}
		return 0
	})
	var pos, rankSum float64
	for i := 0; i < n; {
		j := i
		for j < n && p[idx[j]*k+k-1] == p[idx[i]*k+k-1] {
			j++
		}
		avg := float64(i+j+1) / 2 // ranks i+1..j
		for t := i; t < j; t++ {
			if y[idx[t]] == 1 {
				pos++
				rankSum += avg
			}
		}
		i = j
	}
	neg := float64(n) - pos
	if pos == 0 || neg == 0 {
		return math.NaN()
	}
	return (rankSum - pos*(pos+1)/2) / (pos * neg)
}

const probEps = 1e-15

// LogLoss is the mean negative log-likelihood of the true class, with
// probabilities clipped to [1e-15, 1-1e-15].
func LogLoss(y, p []float64, k int) float64 {
	var s float64
	for i, c := range y {
		q := min(max(p[i*k+int(c)], probEps), 1-probEps)
		s -= math.Log(q)
	}
	return s / float64(len(y))
}

// ArgMax returns the most probable class of row i (the first on ties).
func ArgMax(p []float64, k, i int) int {
	best := 0
	for c := 1; c < k; c++ {
		if p[i*k+c] > p[i*k+best] {
			best = c
		}
	}
	return best
}

// Accuracy is the share of rows whose most probable class is the truth.
func Accuracy(y, p []float64, k int) float64 {
	ok := 0
	for i, c := range y {
		if ArgMax(p, k, i) == int(c) {
			ok++
		}
	}
	return float64(ok) / float64(len(y))
}

// F1 is the F1 score of the positive class at threshold 0.5.
func F1(y, p []float64, k int) float64 {
	var tp, fp, fn float64
	for i, c := range y {
		pred := p[i*k+k-1] >= 0.5
		switch {
		case pred && c == 1:
			tp++
		case pred:
			fp++
		case c == 1:
			fn++
		}
	}
	if tp == 0 {
		return 0
	}
	return 2 * tp / (2*tp + fp + fn)
}

// RMSE is the root mean squared error.
func RMSE(y, p []float64, _ int) float64 {
	var s float64
	for i, v := range y {
		d := v - p[i]
		s += d * d
	}
	return math.Sqrt(s / float64(len(y)))
}

// MAE is the mean absolute error.
func MAE(y, p []float64, _ int) float64 {
	var s float64
	for i, v := range y {
		s += math.Abs(v - p[i])
	}
	return s / float64(len(y))
}

// R2 is the coefficient of determination, 1 - SSE/SST.
func R2(y, p []float64, _ int) float64 {
	var mean float64
	for _, v := range y {
		mean += v
	}
	mean /= float64(len(y))
	var sse, sst float64
	for i, v := range y {
		sse += (v - p[i]) * (v - p[i])
		sst += (v - mean) * (v - mean)
	}
	if sst == 0 {
		return math.NaN()
	}
	return 1 - sse/sst
}

// Confusion counts binary outcomes at a threshold: a row is predicted
// positive when P(positive) ≥ Threshold.
type Confusion struct {
	Threshold      float64
	TP, FP, TN, FN int
}

// F1 is the positive class's F1 score.
func (c Confusion) F1() float64 {
	if c.TP == 0 {
		return 0
	}
	return 2 * float64(c.TP) / float64(2*c.TP+c.FP+c.FN)
}

// Accuracy is the share of rows predicted right.
func (c Confusion) Accuracy() float64 {
	n := c.TP + c.FP + c.TN + c.FN
	if n == 0 {
		return 0
	}
	return float64(c.TP+c.TN) / float64(n)
}

// BestThreshold returns the confusion at the threshold that maximises
// score (F1 or accuracy of a Confusion) over binary predictions p (k = 2
// per row: P(class 0), P(class 1)), trying every distinct predicted
// probability as the threshold; ties go to the threshold nearest 0.5.
func BestThreshold(y, p []float64, score func(Confusion) float64) Confusion {
	n := len(y)
	idx := make([]int, n)
	pos := 0
	for i := range idx {
		idx[i] = i
		if y[i] == 1 {
			pos++
		}
	}
	slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(p[b*2+1], p[a*2+1]) })
	// Threshold above every probability: all negative.
	best := Confusion{Threshold: math.Nextafter(1, 2), FN: pos, TN: n - pos}
	bestScore := score(best)
	cur := best
	for i := 0; i < n; {
		t := p[idx[i]*2+1]
		for i < n && p[idx[i]*2+1] == t {
			if y[idx[i]] == 1 {
				cur.TP++
				cur.FN--
			} else {
				cur.FP++
				cur.TN--
			}
			i++
		}
		cur.Threshold = t
		if v := score(cur); v > bestScore || v == bestScore && math.Abs(t-0.5) < math.Abs(best.Threshold-0.5) {
			best, bestScore = cur, v
		}
	}
	return best
}
