package glm

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/drover-ml/drover/internal/engine/targetenc"
)

// highCard is a binary table whose categorical (400 levels) carries the
// signal through a per-level offset, plus one numeric column.
func highCard(n int) ([][]float32, []bool, []float64) {
	rng := rand.New(rand.NewPCG(11, 12))
	offset := make([]float64, 400)
	for i := range offset {
		offset[i] = rng.NormFloat64() * 2
	}
	code := make([]float32, n)
	x := make([]float32, n)
	y := make([]float64, n)
	for i := range n {
		c := rng.IntN(400)
		v := rng.NormFloat64()
		code[i], x[i] = float32(c), float32(v)
		if i%97 == 0 {
			code[i] = float32(math.NaN())
			c = -1
		}
		z := v
		if c >= 0 {
			z += offset[c]
		}
		if rng.Float64() < 1/(1+math.Exp(-z)) {
			y[i] = 1
		}
	}
	return [][]float32{code, x}, []bool{true, false}, y
}

// TestTargetEncodingOutOfFold proves the training rows' encodings never
// see their own label: each row's value equals the smoothed mean computed
// here from the rows of the other folds only (fold = row mod targetenc.Folds), and
// flipping a row's label leaves its own value unchanged.
func TestTargetEncodingOutOfFold(t *testing.T) {
	cols, _, y := highCard(3000)
	col := cols[0]
	_, oof := targetEncode(col, y, Binary, 2)
	for _, i := range []int{0, 1, 7, 97, 500, 2999} {
		var pn, ps, cnt, sum float64
		for j := range col {
			if j%targetenc.Folds == i%targetenc.Folds {
				continue
			}
			pn++
			ps += y[j]
			if col[i] == col[i] && col[j] == col[i] {
				cnt++
				sum += y[j]
			}
		}
		prior := ps / pn
		want := prior
		if col[i] == col[i] {
			want = (sum + targetenc.Smoothing*prior) / (cnt + targetenc.Smoothing)
		}
		if math.Abs(oof[i]-want) > 1e-12 {
			t.Fatalf("row %d: encoded %v, want %v from the other folds", i, oof[i], want)
		}
		flipped := append([]float64(nil), y...)
		flipped[i] = 1 - flipped[i]
		_, again := targetEncode(col, flipped, Binary, 2)
		if again[i] != oof[i] {
			t.Fatalf("row %d: its own label changed its encoding (%v → %v)", i, oof[i], again[i])
		}
	}
}

// TestTargetEncodingFit: a GLM on a 400-level categorical target-encodes it
// (one design column instead of 100 one-hot ones), beats the top-100
// one-hot fit on held-out rows, and predicts the same after a JSON round
// trip, including for unseen and missing levels.
func TestTargetEncodingFit(t *testing.T) {
	cols, cat, y := highCard(6000)
	train, test := 4000, 2000
	sub := func(lo, hi int) [][]float32 { return [][]float32{cols[0][lo:hi], cols[1][lo:hi]} }
	loss := func(p Params) (float64, *Model) {
		m, err := Fit(context.Background(), sub(0, train), cat, y[:train], Binary, 2, p)
		if err != nil {
			t.Fatal(err)
		}
		out := make([]float64, test)
		m.Predict(sub(train, train+test), test, out)
		var l float64
		for i, v := range out {
			if y[train+i] == 0 {
				v = 1 - v
			}
			l -= math.Log(max(v, 1e-15)) / float64(test)
		}
		return l, m
	}
	p := DefaultParams()
	te, m := loss(p)
	if !m.Encodings[0].Target || m.Encodings[0].width() != 1 {
		t.Fatalf("encoding %+v, want target encoding", m.Encodings[0].Target)
	}
	p.MaxLevels = 400 // one-hot every level instead
	oneHot, _ := loss(p)
	if te >= oneHot {
		t.Errorf("held-out log loss: target encoding %.4f, one-hot %.4f", te, oneHot)
	}
	b, _ := json.Marshal(m)
	var m2 Model
	if err := json.Unmarshal(b, &m2); err != nil {
		t.Fatal(err)
	}
	in := [][]float32{{0, 5, 399, 1000, float32(math.NaN())}, {0.1, -1, 2, 0, 0}}
	a, c := make([]float64, 5), make([]float64, 5)
	m.Predict(in, 5, a)
	m2.Predict(in, 5, c)
	for i := range a {
		if a[i] != c[i] || math.IsNaN(a[i]) {
			t.Fatalf("row %d: %v vs %v after the round trip", i, a[i], c[i])
		}
	}
}
