package gbm

import (
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/drover-ml/drover/internal/engine/frame"
)

// auc returns the area under the ROC curve of scores against 0/1 labels.
func auc(y []float32, score []float64) float64 {
	idx := make([]int, len(y))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return score[idx[a]] < score[idx[b]] })
	var pos, neg, rankSum float64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && score[idx[j]] == score[idx[i]] {
			j++
		}
		avg := float64(i+j+1) / 2 // average 1-based rank of the tie group
		for _, k := range idx[i:j] {
			if y[k] == 1 {
				rankSum += avg
				pos++
			} else {
				neg++
			}
		}
		i = j
	}
	return (rankSum - pos*(pos+1)/2) / (pos * neg)
}

// newMatrix allocates a rows × nf numeric matrix.
func newMatrix(rows, nf int) *Matrix {
	m := &Matrix{Rows: rows, Cols: make([][]float32, nf)}
	for j := range m.Cols {
		m.Cols[j] = make([]float32, rows)
	}
	return m
}

// slice returns rows [lo, hi) of m.
func (m *Matrix) slice(lo, hi int) *Matrix {
	s := &Matrix{Rows: hi - lo, Categorical: m.Categorical, Cols: make([][]float32, len(m.Cols))}
	for j, c := range m.Cols {
		s.Cols[j] = c[lo:hi]
	}
	return s
}

// synthBinary makes a classification problem in the spirit of sklearn's
// make_classification: informative Gaussian features, redundant linear
// mixtures of them, noise features, a nonlinear score and flipped labels.
func synthBinary(rows, nf int, seed uint64) (*Matrix, []float32) {
	r := rand.New(rand.NewPCG(seed, 1))
	m := newMatrix(rows, nf)
	y := make([]float32, rows)
	inf := min(nf, 20)
	w := make([]float64, inf)
	for i := range w {
		w[i] = r.NormFloat64()
	}
	for i := 0; i < rows; i++ {
		var s float64
		for j := 0; j < nf; j++ {
			v := r.NormFloat64()
			if j >= inf && j < inf+10 && j-inf < inf {
				v = 0.7*float64(m.Cols[j-inf][i]) + 0.3*v
			}
			m.Cols[j][i] = float32(v)
			if j < inf {
				s += w[j] * v
			}
		}
		if inf >= 2 {
			s += 2 * float64(m.Cols[0][i]) * float64(m.Cols[1][i])
		}
		if s > 0 {
			y[i] = 1
		}
		if r.Float64() < 0.02 {
			y[i] = 1 - y[i]
		}
	}
	return m, y
}

// loadCSV reads a numeric CSV with a header (frame.ReadNumericFile); the
// last column is the label.
func loadCSV(path string) (*Matrix, []float32, error) {
	fr, err := frame.ReadNumericFile(path)
	if err != nil {
		return nil, nil, err
	}
	cols, y, err := fr.XY()
	return &Matrix{Rows: fr.Rows, Cols: cols}, y, err
}

func trainT(t testing.TB, x *Matrix, y []float32, p Params) *Model {
	t.Helper()
	m, err := Train(t.Context(), x, y, nil, nil, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func predict(m *Model, x *Matrix) []float64 {
	out := make([]float64, x.Rows*m.Outputs())
	m.Predict(x, out)
	return out
}
