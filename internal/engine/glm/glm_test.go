package glm

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"
)

func synth(n int, task string) ([][]float32, []bool, []float64) {
	rng := rand.New(rand.NewPCG(7, 7))
	x1 := make([]float32, n)
	x2 := make([]float32, n)
	cat := make([]float32, n)
	y := make([]float64, n)
	for i := range n {
		a, b := rng.NormFloat64(), rng.NormFloat64()
		c := rng.IntN(3)
		x1[i], x2[i], cat[i] = float32(a*10+5), float32(b), float32(c)
		if i%17 == 0 {
			x2[i] = float32(math.NaN())
			b = 0
		}
		z := 0.3*a + 2*b + []float64{0, 1, -1}[c]
		switch task {
		case Regression:
			y[i] = z + 0.1*rng.NormFloat64()
		case Binary:
			if rng.Float64() < 1/(1+math.Exp(-3*z)) {
				y[i] = 1
			}
		case Multiclass:
			y[i] = float64(c)
		}
	}
	return [][]float32{x1, x2, cat}, []bool{false, false, true}, y
}

func TestFit(t *testing.T) {
	tests := []struct {
		task string
		k    int
	}{{Regression, 1}, {Binary, 2}, {Multiclass, 3}}
	for _, tt := range tests {
		t.Run(tt.task, func(t *testing.T) {
			cols, cat, y := synth(600, tt.task)
			p := DefaultParams()
			m, err := Fit(context.Background(), cols, cat, y, tt.task, tt.k, p)
			if err != nil {
				t.Fatal(err)
			}
			width := 1
			if tt.task == Multiclass {
				width = tt.k
			}
			out := make([]float64, len(y)*width)
			m.Predict(cols, len(y), out)
			var score float64
			for i := range y {
				switch tt.task {
				case Regression:
					score += (out[i] - y[i]) * (out[i] - y[i])
				case Binary:
					if (out[i] > 0.5) == (y[i] == 1) {
						score++
					}
				case Multiclass:
					if out[i*3+int(y[i])] > 0.5 {
						score++
					}
				}
			}
			score /= float64(len(y))
			if tt.task == Regression && score > 0.05 || tt.task != Regression && score < 0.8 {
				t.Fatalf("score %v", score)
			}
			// JSON round trip predicts bit-identically; refit is deterministic.
			b, _ := json.Marshal(m)
			var m2 Model
			if err := json.Unmarshal(b, &m2); err != nil {
				t.Fatal(err)
			}
			m3, _ := Fit(context.Background(), cols, cat, y, tt.task, tt.k, p)
			out2 := make([]float64, len(out))
			out3 := make([]float64, len(out))
			m2.Predict(cols, len(y), out2)
			m3.Predict(cols, len(y), out3)
			for i := range out {
				if out[i] != out2[i] || out[i] != out3[i] {
					t.Fatalf("row %d: %v %v %v", i, out[i], out2[i], out3[i])
				}
			}
		})
	}
}

func TestParseParams(t *testing.T) {
	tests := []struct {
		kv      map[string]string
		wantErr bool
	}{
		{map[string]string{"lambda": "0.1", "alpha": "1"}, false},
		{map[string]string{"alpha": "2"}, true},
		{map[string]string{"lambda": "x"}, true},
		{map[string]string{"nope": "1"}, true},
	}
	for _, tt := range tests {
		_, err := ParseParams(DefaultParams(), tt.kv)
		if (err != nil) != tt.wantErr {
			t.Errorf("%v: err %v", tt.kv, err)
		}
	}
}
