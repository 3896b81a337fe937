package model

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/drover-ml/drover/internal/engine/gbm"
	"github.com/drover-ml/drover/internal/engine/glm"
)

// TestBlendContributions: an ensemble's contributions are its members'
// weighted by their normalised weights, and add up to the weighted mean
// of the members' raw scores.
func TestBlendContributions(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const n = 500
	cols := [][]float32{make([]float32, n), make([]float32, n)}
	y, y32 := make([]float64, n), make([]float32, n)
	for i := range n {
		a, b := r.NormFloat64(), r.NormFloat64()
		cols[0][i], cols[1][i] = float32(a), float32(b)
		if r.Float64() < 1/(1+math.Exp(-(a-b*b))) {
			y[i], y32[i] = 1, 1
		}
	}
	cat := []bool{false, false}
	g, err := glm.Fit(context.Background(), cols, cat, y, glm.Binary, 2, glm.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	p := gbm.DefaultParams()
	p.NumRounds = 20
	b, err := gbm.Train(context.Background(), &gbm.Matrix{Cols: cols, Rows: n}, y32, nil, nil, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	members := []Member{{Kind: KindGLM, Weight: 3, GLM: g}, {Kind: KindGBM, Weight: 1, GBM: b}}
	blend, err := BlendContributions(members, cols, cat, n, "binary", 2)
	if err != nil {
		t.Fatal(err)
	}
	c0, _ := members[0].Contributions(cols, cat, n, "binary", 2)
	c1, _ := members[1].Contributions(cols, cat, n, "binary", 2)
	margin := make([]float64, n)
	b.PredictMargin(&gbm.Matrix{Cols: cols, Rows: n}, margin)
	for i := range n {
		var s, s0 float64
		for j := range 3 {
			v := blend[i*3+j]
			if d := math.Abs(v - (0.75*c0[i*3+j] + 0.25*c1[i*3+j])); d > 1e-12 {
				t.Fatalf("row %d feature %d: blend %v, members %v and %v", i, j, v, c0[i*3+j], c1[i*3+j])
			}
			s += v
			s0 += c0[i*3+j]
		}
		if d := math.Abs(s - (0.75*s0 + 0.25*margin[i])); d > 1e-9 {
			t.Fatalf("row %d: blend sums to %v, weighted raw scores %v", i, s, 0.75*s0+0.25*margin[i])
		}
	}
}
