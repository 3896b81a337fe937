package xgb

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"testing"
	"time"
)

// requireLib skips the test where libxgboost is absent, except under
// CI=true, where CI installs it and its absence is a failure.
func requireLib(t *testing.T) {
	t.Helper()
	if _, ok := Available(); ok {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("libxgboost.so.0 is required under CI=true (apt-get install libxgboost0): %v", LoadError())
	}
	t.Skipf("libxgboost.so.0 not available (apt-get install libxgboost0): %v", LoadError())
}

// synth makes n rows of two numeric features (one with missing values) and
// one categorical feature, with a target for the objective.
func synth(n int, objective string, seed uint64) (*Matrix, []float32) {
	rng := rand.New(rand.NewPCG(seed, 1))
	a, b, c := make([]float32, n), make([]float32, n), make([]float32, n)
	y := make([]float32, n)
	for i := range n {
		a[i] = float32(rng.NormFloat64())
		b[i] = float32(rng.NormFloat64())
		c[i] = float32(rng.IntN(4))
		if i%7 == 0 {
			b[i] = float32(math.NaN())
		}
		s := float64(a[i]) + 0.5*float64(c[i]) + 0.3*rng.NormFloat64()
		switch objective {
		case ObjectiveBinary:
			if s > 0.7 {
				y[i] = 1
			}
		case ObjectiveMulticlass:
			y[i] = float32(min(2, max(0, int(s+1))))
		default:
			y[i] = float32(s)
		}
	}
	return &Matrix{Cols: [][]float32{a, b, c}, Categorical: []bool{false, false, true}, Rows: n}, y
}

func params(objective string) Params {
	p := Params{Objective: objective, NumRounds: 200, MaxDepth: 4, LearningRate: 0.1, Subsample: 0.8, ColSample: 1,
		Lambda: 1, MinChildWeight: 1, EarlyStoppingRounds: 10, Threads: 2, Seed: 7}
	if objective == ObjectiveMulticlass {
		p.NumClass = 3
	}
	return p
}

func TestTrainSaveLoadPredict(t *testing.T) {
	requireLib(t)
	for _, obj := range []string{ObjectiveBinary, ObjectiveMulticlass, ObjectiveSquared} {
		t.Run(obj, func(t *testing.T) {
			x, y := synth(600, obj, 1)
			xv, yv := synth(200, obj, 2)
			m, err := Train(context.Background(), x, y, xv, yv, params(obj))
			if err != nil {
				t.Fatal(err)
			}
			if m.Rounds < 1 || m.Rounds > 200 || m.BestRound != m.Rounds {
				t.Fatalf("rounds %d best %d", m.Rounds, m.BestRound)
			}
			if imp := m.FeatureImportance(); len(imp) != 3 || imp[0] <= imp[1] || imp[0] <= 0 {
				t.Errorf("importance %v: want feature a first", imp)
			}
			k := m.Outputs()
			before := make([]float64, xv.Rows*k)
			if err := m.Predict(xv, before, 1); err != nil {
				t.Fatal(err)
			}
			loss := validLoss(obj, toF32(before), yv, k)
			if math.Abs(loss-m.BestValidLoss) > 1e-6 {
				t.Errorf("loss of the kept rounds %v, best validation loss %v", loss, m.BestValidLoss)
			}
			if base := baseline(obj, yv, k); loss > 0.8*base {
				t.Errorf("validation loss %v, constant model %v", loss, base)
			}
			b, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			var m2 Model
			if err := json.Unmarshal(b, &m2); err != nil {
				t.Fatal(err)
			}
			after := make([]float64, len(before))
			if err := m2.Predict(xv, after, 0); err != nil {
				t.Fatal(err)
			}
			for i := range before {
				if before[i] != after[i] {
					t.Fatalf("prediction %d: %v in process, %v after save and load", i, before[i], after[i])
				}
			}
		})
	}
}

func TestTrainNoValidation(t *testing.T) {
	requireLib(t)
	x, y := synth(100, ObjectiveSquared, 3)
	p := params(ObjectiveSquared)
	p.NumRounds = 5
	m, err := Train(context.Background(), x, y, nil, nil, p)
	if err != nil {
		t.Fatal(err)
	}
	if m.Rounds != 5 || m.BestRound != 0 {
		t.Fatalf("rounds %d best %d", m.Rounds, m.BestRound)
	}
}

// TestTrainDeadline: a deadline already past stops training after its
// first round, with or without a validation set, and the model is scored
// as it stands (one round kept); a deadline far off changes nothing.
func TestTrainDeadline(t *testing.T) {
	requireLib(t)
	x, y := synth(400, ObjectiveBinary, 4)
	xv, yv := synth(100, ObjectiveBinary, 5)
	p := params(ObjectiveBinary)
	p.Deadline = time.Now().Add(-time.Second)
	for _, valid := range []bool{true, false} {
		vx, vy := xv, yv
		if !valid {
			vx, vy = nil, nil
		}
		m, err := Train(context.Background(), x, y, vx, vy, p)
		if err != nil {
			t.Fatal(err)
		}
		if m.Rounds != 1 {
			t.Fatalf("validation %v: %d rounds past the deadline, want 1", valid, m.Rounds)
		}
		out := make([]float64, xv.Rows)
		if err := m.Predict(xv, out, 1); err != nil {
			t.Fatal(err)
		}
	}
	p.Deadline = time.Now().Add(time.Hour)
	m, err := Train(context.Background(), x, y, xv, yv, p)
	if err != nil {
		t.Fatal(err)
	}
	if m.Rounds < 2 {
		t.Fatalf("%d rounds with an hour to spare", m.Rounds)
	}
}

func TestTrainErrors(t *testing.T) {
	requireLib(t)
	x, y := synth(50, ObjectiveBinary, 4)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Train(ctx, x, y, nil, nil, params(ObjectiveBinary)); err != context.Canceled {
		t.Errorf("cancelled: %v", err)
	}
	p := params(ObjectiveBinary)
	p.Objective = "poisson"
	if _, err := Train(context.Background(), x, y, nil, nil, p); err == nil {
		t.Error("unknown objective accepted")
	}
	// A label XGBoost rejects surfaces XGBGetLastError's text.
	bad := append([]float32(nil), y...)
	bad[0] = 3
	p = params(ObjectiveBinary)
	p.NumRounds = 2
	if _, err := Train(context.Background(), x, bad, nil, nil, p); err == nil {
		t.Error("label 3 accepted for binary:logistic")
	} else {
		t.Log(err)
	}
	var m Model
	m.NumFeatures, m.Objective = 3, ObjectiveBinary
	if err := m.Predict(x, make([]float64, x.Rows), 0); err == nil {
		t.Error("model without a booster predicted")
	}
}

func toF32(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, f := range v {
		out[i] = float32(f)
	}
	return out
}

// baseline is the validation loss of predicting the class shares or the mean.
func baseline(obj string, y []float32, k int) float64 {
	n := len(y)
	p := make([]float32, n*k)
	switch obj {
	case ObjectiveMulticlass:
		share := make([]float32, k)
		for _, c := range y {
			share[int(c)] += 1 / float32(n)
		}
		for i := range n {
			copy(p[i*k:], share)
		}
	default:
		var mean float32
		for _, v := range y {
			mean += v / float32(n)
		}
		for i := range p {
			p[i] = mean
		}
	}
	return validLoss(obj, p, y, k)
}

// TestFewFeaturesInteraction: with two features and ColSample 0.8 every
// tree must still see both, or an interaction cannot be learnt.
func TestFewFeaturesInteraction(t *testing.T) {
	requireLib(t)
	rng := rand.New(rand.NewPCG(1, 1))
	mk := func(n int) (*Matrix, []float32) {
		c, x, y := make([]float32, n), make([]float32, n), make([]float32, n)
		for i := range n {
			c[i], x[i] = float32(rng.IntN(3)), rng.Float32()
			if (c[i] == 0) != (x[i] > 0.7) {
				y[i] = 1
			}
		}
		return &Matrix{Cols: [][]float32{c, x}, Categorical: []bool{true, false}, Rows: n}, y
	}
	x, y := mk(250)
	xv, yv := mk(100)
	p := params(ObjectiveBinary)
	p.ColSample, p.EarlyStoppingRounds = 0.8, 50
	m, err := Train(context.Background(), x, y, xv, yv, p)
	if err != nil {
		t.Fatal(err)
	}
	if m.BestValidLoss > 0.15 {
		t.Fatalf("validation log loss %v, want < 0.15", m.BestValidLoss)
	}
	for _, tc := range []struct {
		c    float64
		nf   int
		keep int
	}{{0.8, 2, 2}, {0.5, 2, 1}, {0.8, 36, 29}, {0.6, 19, 11}, {0.1, 3, 1}, {1, 5, 5}} {
		if got := int(colsample(tc.c, tc.nf) * float64(tc.nf)); got != tc.keep {
			t.Errorf("colsample(%v, %d) keeps %d features, want %d", tc.c, tc.nf, got, tc.keep)
		}
	}
}
