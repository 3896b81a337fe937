package glm

import (
	"context"
	"math"
	"testing"

	"github.com/drover-ml/drover/internal/engine/enginetest"
)

// TestContributionsAdditive: a row's contributions and bias add up to its
// linear predictor (computed here from the design matrix), to 1e-6, and
// the link of that sum is what Predict returns.
func TestContributionsAdditive(t *testing.T) {
	letters := enginetest.Letters(1500, 3)
	for _, task := range []string{Binary, Regression, Multiclass} {
		t.Run(task, func(t *testing.T) {
			cols, cat, y := synth(800, task)
			k := 2
			if task == Multiclass {
				cols, cat, k = letters.Cols, letters.Categorical(), 26
				y = make([]float64, letters.Rows())
				for i, v := range letters.Target {
					y[i] = float64(v)
				}
			}
			m, err := Fit(context.Background(), cols, cat, y, task, k, DefaultParams())
			if err != nil {
				t.Fatal(err)
			}
			n, K, W := len(y), m.outputs(), len(cols)+1
			contrib := make([]float64, n*K*W)
			m.Contributions(cols, n, contrib)
			width := 0
			for _, e := range m.Encodings {
				width += e.width()
			}
			x := m.design(cols, n, width)
			pred := make([]float64, n*max(1, K))
			m.Predict(cols, n, pred)
			sums := make([]float64, K)
			nonzero := 0
			for i := range n {
				for o := range K {
					eta := m.Intercept[o]
					for c := range width {
						eta += m.Coef[o][c] * x[c][i]
					}
					if task == Regression {
						eta = m.YMean + m.YScale*eta
					}
					var s float64
					for j, v := range contrib[(i*K+o)*W : (i*K+o+1)*W] {
						s += v
						if j < W-1 && v != 0 {
							nonzero++
						}
					}
					if math.Abs(s-eta) > 1e-6 {
						t.Fatalf("row %d output %d: contributions sum to %v, raw score %v", i, o, s, eta)
					}
					sums[o] = s
				}
				switch task {
				case Binary:
					if d := math.Abs(sigmoid(sums[0]) - pred[i]); d > 1e-9 {
						t.Fatalf("row %d: sigmoid of the sum %v, Predict %v", i, sigmoid(sums[0]), pred[i])
					}
				case Regression:
					if d := math.Abs(sums[0] - pred[i]); d > 1e-9 {
						t.Fatalf("row %d: sum %v, Predict %v", i, sums[0], pred[i])
					}
				case Multiclass:
					p := make([]float64, K)
					softmax(sums, p)
					for o := range K {
						if d := math.Abs(p[o] - pred[i*K+o]); d > 1e-9 {
							t.Fatalf("row %d class %d: softmax of the sums %v, Predict %v", i, o, p[o], pred[i*K+o])
						}
					}
				}
			}
			if nonzero == 0 {
				t.Fatal("every contribution is zero")
			}
		})
	}
}
