package xgb

import (
	"context"
	"math"
	"testing"
)

// TestContributionsAdditive: XGBoost's contributions and bias add up to
// its margin (float32 arithmetic inside libxgboost, so to 1e-4), and the
// margin's link is the prediction.
func TestContributionsAdditive(t *testing.T) {
	requireLib(t)
	for _, obj := range []string{ObjectiveBinary, ObjectiveMulticlass, ObjectiveSquared} {
		t.Run(obj, func(t *testing.T) {
			x, y := synth(600, obj, 3)
			p := params(obj)
			p.EarlyStoppingRounds, p.NumRounds = 0, 30
			m, err := Train(context.Background(), x, y, nil, nil, p)
			if err != nil {
				t.Fatal(err)
			}
			K, W := m.Outputs(), m.NumFeatures+1
			contrib := make([]float64, x.Rows*K*W)
			if err := m.Contributions(x, contrib, 1); err != nil {
				t.Fatal(err)
			}
			margin := make([]float64, x.Rows*K)
			if err := m.Margin(x, margin, 1); err != nil {
				t.Fatal(err)
			}
			pred := make([]float64, x.Rows*K)
			if err := m.Predict(x, pred, 1); err != nil {
				t.Fatal(err)
			}
			nonzero := 0
			for i := range x.Rows {
				for k := range K {
					var s float64
					for j, v := range contrib[(i*K+k)*W : (i*K+k+1)*W] {
						s += v
						if j < W-1 && v != 0 {
							nonzero++
						}
					}
					if d := math.Abs(s - margin[i*K+k]); d > 1e-4 {
						t.Fatalf("row %d output %d: contributions sum to %v, margin %v", i, k, s, margin[i*K+k])
					}
				}
				if obj == ObjectiveBinary {
					if d := math.Abs(1/(1+math.Exp(-margin[i])) - pred[i]); d > 1e-5 {
						t.Fatalf("row %d: sigmoid(margin) %v, prediction %v", i, 1/(1+math.Exp(-margin[i])), pred[i])
					}
				}
			}
			if nonzero == 0 {
				t.Fatal("every contribution is zero")
			}
		})
	}
}
