package gbm

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/drover-ml/drover/internal/engine/enginetest"
)

// shapData is a small table with a categorical feature, missing values and
// fewer features than levels of the trees, so that paths repeat features.
func shapData(n int, seed uint64) (*Matrix, []float32, []float32) {
	r := rand.New(rand.NewPCG(seed, 3))
	x := newMatrix(n, 4)
	x.Categorical = []bool{false, false, true, false}
	yb, yr := make([]float32, n), make([]float32, n)
	for i := range n {
		a, b, c, d := r.NormFloat64(), r.NormFloat64(), float64(r.IntN(5)), r.NormFloat64()
		x.Cols[0][i], x.Cols[1][i], x.Cols[2][i], x.Cols[3][i] = float32(a), float32(b), float32(c), float32(d)
		if r.IntN(10) == 0 {
			x.Cols[1][i] = float32(math.NaN())
		}
		z := a*b + math.Sin(2*a) + 0.5*c - 0.3*d*a
		yr[i] = float32(z + 0.1*r.NormFloat64())
		if r.Float64() < 1/(1+math.Exp(-z)) {
			yb[i] = 1
		}
	}
	return x, yb, yr
}

// bruteShapley computes each feature's Shapley value for tree ti of m at
// row i by enumerating every coalition, with the value of a coalition S
// the tree's output when the features outside S are integrated over the
// node covers (the definition TreeSHAP computes in polynomial time).
func bruteShapley(m *Model, ti int, x *Matrix, i int) []float64 {
	s := m.shap()
	f := m.flatten()
	nodes := m.Trees[ti].Nodes
	cover := s.trees[ti].cover
	M := m.NumFeatures
	var value func(j int, set uint) float64
	value = func(j int, set uint) float64 {
		n := &nodes[j]
		if n.IsLeaf() {
			return n.Value
		}
		l, r := int(n.Left), int(n.Right)
		if set&(1<<n.Feature) != 0 {
			b := f.bin.binOf(int(n.Feature), x.Cols[n.Feature][i])
			if n.goLeftBin(b, f.miss[n.Feature]) {
				return value(l, set)
			}
			return value(r, set)
		}
		return (cover[l]*value(l, set) + cover[r]*value(r, set)) / cover[j]
	}
	fact := func(k int) float64 {
		v := 1.0
		for i := 2; i <= k; i++ {
			v *= float64(i)
		}
		return v
	}
	phi := make([]float64, M)
	for set := uint(0); set < 1<<M; set++ {
		size := 0
		for j := range M {
			if set&(1<<j) != 0 {
				size++
			}
		}
		for j := range M {
			if set&(1<<j) != 0 {
				continue
			}
			w := fact(size) * fact(M-size-1) / fact(M)
			phi[j] += w * (value(0, set|1<<j) - value(0, set))
		}
	}
	return phi
}

func TestTreeSHAPMatchesBruteForce(t *testing.T) {
	x, yb, yr := shapData(400, 1)
	for _, tc := range []struct {
		name string
		y    []float32
		obj  string
	}{{"binary", yb, ObjectiveBinary}, {"regression", yr, ObjectiveSquared}} {
		p := DefaultParams()
		p.Objective, p.NumRounds, p.MaxDepth, p.MinChildWeight = tc.obj, 3, 5, 0.5
		m := trainT(t, x, tc.y, p)
		W := m.ContributionsWidth()
		repeats := false
		for ti := range m.Trees {
			repeats = repeats || pathRepeats(m.Trees[ti].Nodes, 0, 0)
		}
		if !repeats {
			t.Fatalf("%s: no tree splits twice on a feature along a path; the test would not exercise unwinding", tc.name)
		}
		for ti := range m.Trees {
			one := &Model{Objective: m.Objective, NumFeatures: m.NumFeatures, BaseScore: []float64{0},
				Features: m.Features, Trees: m.Trees[ti : ti+1]}
			got := make([]float64, x.Rows*W)
			one.Contributions(x, got, 1)
			for _, i := range []int{0, 7, 13, 42, 99, 250} {
				want := bruteShapley(one, 0, x, i)
				for j := range want {
					if d := math.Abs(got[i*W+j] - want[j]); d > 1e-9 {
						t.Fatalf("%s tree %d row %d feature %d: TreeSHAP %v, brute force %v", tc.name, ti, i, j, got[i*W+j], want[j])
					}
				}
			}
		}
	}
}

// pathRepeats reports whether some root-to-leaf path below node i splits
// on one feature twice (seen: features on the path so far, as bits).
func pathRepeats(nodes []Node, i int, seen uint) bool {
	n := &nodes[i]
	if n.IsLeaf() {
		return false
	}
	if seen&(1<<n.Feature) != 0 {
		return true
	}
	seen |= 1 << n.Feature
	return pathRepeats(nodes, int(n.Left), seen) || pathRepeats(nodes, int(n.Right), seen)
}

// checkAdditive checks that every row's contributions and bias add up to
// its margin, to 1e-6.
func checkAdditive(t *testing.T, name string, m *Model, x *Matrix) {
	t.Helper()
	K, W := m.Outputs(), m.ContributionsWidth()
	margin := make([]float64, x.Rows*K)
	m.PredictMargin(x, margin)
	contrib := make([]float64, x.Rows*K*W)
	m.Contributions(x, contrib, 0)
	nonzero := 0
	for i := range x.Rows {
		for k := range K {
			row := contrib[(i*K+k)*W : (i*K+k+1)*W]
			var s float64
			for _, v := range row {
				s += v
			}
			if d := math.Abs(s - margin[i*K+k]); d > 1e-6 {
				t.Fatalf("%s row %d output %d: contributions sum to %v, margin %v", name, i, k, s, margin[i*K+k])
			}
			for _, v := range row[:W-1] {
				if v != 0 {
					nonzero++
				}
			}
		}
	}
	if nonzero == 0 {
		t.Fatalf("%s: every contribution is zero", name)
	}
}

func TestContributionsAdditive(t *testing.T) {
	x, yb, yr := shapData(2000, 2)
	p := DefaultParams()
	p.NumRounds = 40
	checkAdditive(t, "binary", trainT(t, x, yb, p), x)
	p.Objective = ObjectiveSquared
	checkAdditive(t, "regression", trainT(t, x, yr, p), x)
	lx, ly := tableMatrix(enginetest.Letters(1500, 5))
	p = DefaultParams()
	p.Objective, p.NumClass, p.NumRounds = ObjectiveMulticlass, 26, 15
	checkAdditive(t, "multiclass", trainT(t, lx, ly, p), lx)
}
