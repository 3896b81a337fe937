package metric

import (
	"math"
	"testing"
)

func TestScorers(t *testing.T) {
	bin := []float64{0.9, 0.1, 0.6, 0.4, 0.3, 0.7, 0.2, 0.8} // k=2 rows: p(0), p(1)
	yb := []float64{0, 1, 0, 1}
	mc := []float64{0.7, 0.2, 0.1, 0.1, 0.8, 0.1, 0.3, 0.3, 0.4}
	ym := []float64{0, 1, 1}
	yr := []float64{1, 2, 3, 4}
	pr := []float64{1.5, 2, 2.5, 4}
	tests := []struct {
		name string
		y, p []float64
		k    int
		want float64
	}{
		{"auc", yb, bin, 2, 0.75},
		{"auc", []float64{0, 0, 1, 1}, []float64{.5, .5, .5, .5, .5, .5, .5, .5}, 2, 0.5},
		{"accuracy", yb, bin, 2, 0.5},
		{"f1", yb, bin, 2, 0.5},
		{"logloss", ym, mc, 3, -(math.Log(0.7) + math.Log(0.8) + math.Log(0.3)) / 3},
		{"accuracy", ym, mc, 3, 2.0 / 3},
		{"rmse", yr, pr, 1, math.Sqrt(0.5 / 4)},
		{"mae", yr, pr, 1, 0.25},
		{"r2", yr, pr, 1, 1 - 0.5/5},
	}
	for _, tt := range tests {
		s, ok := Get(tt.name)
		if !ok {
			t.Fatalf("no scorer %q", tt.name)
		}
		if got := s.Score(tt.y, tt.p, tt.k); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("%s = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestDefaultsAndLookup(t *testing.T) {
	for task, want := range map[string]string{Binary: "auc", Multiclass: "logloss", Regression: "rmse"} {
		if got := Default(task).Name; got != want {
			t.Errorf("Default(%s) = %s", task, got)
		}
	}
	if _, ok := Get(" AUC "); !ok {
		t.Error("Get is not case-insensitive")
	}
	s, _ := Get("rmse")
	if s.AppliesTo(Binary) || !s.Better(1, 2) {
		t.Error("rmse flags wrong")
	}
}

// TestBestThreshold checks the F1- and accuracy-maximising thresholds
// against a brute-force scan over a grid of thresholds.
func TestBestThreshold(t *testing.T) {
	y := []float64{0, 0, 1, 0, 1, 1, 0, 0, 0, 1, 0, 0}
	q := []float64{0.1, 0.2, 0.35, 0.3, 0.8, 0.4, 0.05, 0.6, 0.2, 0.9, 0.15, 0.35}
	p := make([]float64, 0, 2*len(q))
	for _, v := range q {
		p = append(p, 1-v, v)
	}
	count := func(thr float64) Confusion {
		c := Confusion{Threshold: thr}
		for i, v := range q {
			switch {
			case v >= thr && y[i] == 1:
				c.TP++
			case v >= thr:
				c.FP++
			case y[i] == 1:
				c.FN++
			default:
				c.TN++
			}
		}
		return c
	}
	for name, score := range map[string]func(Confusion) float64{"f1": Confusion.F1, "accuracy": Confusion.Accuracy} {
		got := BestThreshold(y, p, score)
		if got != count(got.Threshold) {
			t.Fatalf("%s: confusion %+v, recount %+v", name, got, count(got.Threshold))
		}
		for thr := 0.0; thr <= 1.0; thr += 0.001 {
			if score(count(thr)) > score(got)+1e-12 {
				t.Fatalf("%s: threshold %.3f scores %v > %v at %v", name, thr, score(count(thr)), score(got), got.Threshold)
			}
		}
	}
	// F1 here is best at 0.35 (tp 4, fp 2, fn 0: 0.8); accuracy at 0.8 or
	// 0.35 would tie-break toward 0.5.
	if got := BestThreshold(y, p, Confusion.F1); got.Threshold != 0.35 || got.TP != 4 || got.FP != 2 {
		t.Fatalf("f1 threshold %+v", got)
	}
}
