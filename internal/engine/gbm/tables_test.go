package gbm

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"

	"github.com/drover-ml/drover/internal/engine/enginetest"
)

// tableMatrix returns the numeric features and target of a generated table.
func tableMatrix(tb *enginetest.Table) (*Matrix, []float32) {
	return &Matrix{Rows: tb.Rows(), Cols: tb.Cols, Categorical: tb.Categorical()}, tb.Target
}

// multiLogloss is the mean log loss of row-major class probabilities.
func multiLogloss(prob []float64, y []float32, k int) float64 {
	var s float64
	for i, c := range y {
		s -= math.Log(max(prob[i*k+int(c)], 1e-15))
	}
	return s / float64(len(y))
}

// TestMulticlassDeterministicAcrossThreads: the trees of a round are grown
// side by side on several threads; the model (with row and feature
// sampling and a validation set) must not depend on how many.
func TestMulticlassDeterministicAcrossThreads(t *testing.T) {
	x, y := tableMatrix(enginetest.Letters(3000, 4))
	vx, vy := x.slice(2400, 3000), y[2400:]
	x, y = x.slice(0, 2400), y[:2400]
	var first []byte
	for _, threads := range []int{1, 2, 3, 5} {
		p := DefaultParams()
		p.Objective, p.NumClass = ObjectiveMulticlass, 26
		p.NumRounds, p.Threads, p.Seed = 8, threads, 3
		p.Subsample, p.ColSample = 0.8, 0.7
		m, err := Train(t.Context(), x, y, vx, vy, p, nil)
		if err != nil {
			t.Fatal(err)
		}
		data, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = data
		} else if !bytes.Equal(first, data) {
			t.Fatalf("model with %d threads differs from 1 thread", threads)
		}
	}
}

// TestLetters: 26 classes; the boosted model must beat the class prior by
// far on held-out rows, and its training margins must match Predict.
func TestLetters(t *testing.T) {
	x, y := tableMatrix(enginetest.Letters(6000, 9))
	p := DefaultParams()
	p.Objective, p.NumClass = ObjectiveMulticlass, 26
	p.NumRounds, p.Threads = 60, 2
	var trainLoss float64
	m, err := Train(t.Context(), x.slice(0, 5000), y[:5000], nil, nil, p, func(_ int, tl, _ float64) { trainLoss = tl })
	if err != nil {
		t.Fatal(err)
	}
	prob := predict(m, x.slice(0, 5000))
	if got := multiLogloss(prob, y[:5000], 26); math.Abs(got-trainLoss) > 1e-9 {
		t.Fatalf("train loss %v, loss of Predict %v", trainLoss, got)
	}
	test := multiLogloss(predict(m, x.slice(5000, 6000)), y[5000:], 26)
	// The prior's log loss is ln 26 ≈ 3.26.
	t.Logf("held-out log loss %.3f", test)
	if test > 0.8 {
		t.Fatalf("held-out log loss %.3f, want ≤ 0.8 (prior 3.26)", test)
	}
}

// TestDigits fits scikit-learn's digits table (10 classes, 64 pixels).
func TestDigits(t *testing.T) {
	x, y, err := loadCSV(enginetest.Digits(t))
	if err != nil {
		t.Fatal(err)
	}
	p := DefaultParams()
	p.Objective, p.NumClass = ObjectiveMulticlass, 10
	p.NumRounds, p.LearningRate = 100, 0.3
	// Every fifth row is held out (the file's last rows come from other
	// writers than the first).
	var tr, te []int
	for i := 0; i < x.Rows; i++ {
		if i%5 == 4 {
			te = append(te, i)
		} else {
			tr = append(tr, i)
		}
	}
	xtr, ytr := pick(x, y, tr)
	xte, yte := pick(x, y, te)
	m := trainT(t, xtr, ytr, p)
	prob := predict(m, xte)
	correct := 0
	for i, c := range yte {
		row := prob[i*10 : i*10+10]
		best := 0
		for k := range row {
			if row[k] > row[best] {
				best = k
			}
		}
		if best == int(c) {
			correct++
		}
	}
	acc := float64(correct) / float64(len(yte))
	t.Logf("held-out accuracy %.3f", acc)
	if acc < 0.9 {
		t.Fatalf("held-out accuracy %.3f, want ≥ 0.9", acc)
	}
}

// pick returns the rows idx of x and y.
func pick(x *Matrix, y []float32, idx []int) (*Matrix, []float32) {
	m := newMatrix(len(idx), len(x.Cols))
	m.Categorical = x.Categorical
	py := make([]float32, len(idx))
	for i, r := range idx {
		for j := range x.Cols {
			m.Cols[j][i] = x.Cols[j][r]
		}
		py[i] = y[r]
	}
	return m, py
}
