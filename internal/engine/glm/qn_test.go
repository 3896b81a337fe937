package glm

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
)

// referenceTable is the formula table of testdata_reference.py.
func referenceTable() (cols [][]float32, ybin, ymc []float64) {
	n := 90
	x1 := make([]float32, n)
	x2 := make([]float32, n)
	for i := range n {
		a := math.Sin(float64(i)*0.7)*3 + 1
		b := math.Cos(float64(i)*1.3) + 0.1*float64(i)/float64(n)
		x1[i], x2[i] = float32(a), float32(b)
		c := 0
		if a > 0 {
			c++
		}
		if b > 0.2 {
			c++
		}
		if i%7 == 0 {
			c++
		}
		ymc = append(ymc, float64(c%3))
		v := 0
		if a+2*b > 0.5 {
			v = 1
		}
		if i%5 == 0 {
			v ^= 1
		}
		ybin = append(ybin, float64(v))
	}
	return [][]float32{x1, x2}, ybin, ymc
}

// TestMatchesSklearn compares ridge logistic and softmax fits with
// scikit-learn's LogisticRegression on the same standardised table (values
// from testdata_reference.py, computed once). The script standardises the
// float64 formula values; glm reads them as float32, so agreement is to
// about 1e-5.
func TestMatchesSklearn(t *testing.T) {
	cols, ybin, ymc := referenceTable()
	p := DefaultParams()
	p.Lambda, p.Alpha, p.MaxIter = 0.022222222222222223, 0, 100
	tests := []struct {
		task      string
		k         int
		y         []float64
		solver    string
		coef      [][]float64
		intercept []float64
	}{
		{Binary, 2, ybin, "cd", [][]float64{{0.99944349, 0.47563272}}, []float64{0.22293883}},
		{Binary, 2, ybin, "qn", [][]float64{{0.99944349, 0.47563272}}, []float64{0.22293883}},
		{Multiclass, 3, ymc, "qn", [][]float64{{-1.0241399, -0.77343025}, {-0.19797452, -0.29148677}, {1.2221144, 1.064917}},
			[]float64{-0.26210595, 0.86195686, -0.59985091}},
	}
	for _, tt := range tests {
		p.Solver = tt.solver
		m, err := Fit(context.Background(), cols, []bool{false, false}, tt.y, tt.task, tt.k, p)
		if err != nil {
			t.Fatal(err)
		}
		b0 := append([]float64(nil), m.Intercept...)
		if tt.task == Multiclass { // intercepts are defined up to a shift
			var mean float64
			for _, v := range b0 {
				mean += v / float64(len(b0))
			}
			for i := range b0 {
				b0[i] -= mean
			}
		}
		tol := 2e-4
		for o := range tt.coef {
			if math.Abs(b0[o]-tt.intercept[o]) > tol {
				t.Errorf("%s/%s intercept %d: %v, sklearn %v", tt.task, tt.solver, o, b0[o], tt.intercept[o])
			}
			for j, want := range tt.coef[o] {
				if got := m.Coef[o][j]; math.Abs(got-want) > tol {
					t.Errorf("%s/%s coef[%d][%d]: %v, sklearn %v", tt.task, tt.solver, o, j, got, want)
				}
			}
		}
	}
}

// wideTable is a random multiclass table with some useless features, for
// the elastic-net optimality and determinism checks.
func wideTable(n, p, k int) ([][]float32, []bool, []float64) {
	rng := rand.New(rand.NewPCG(3, 4))
	cols := make([][]float32, p)
	for j := range cols {
		cols[j] = make([]float32, n)
	}
	y := make([]float64, n)
	eta := make([]float64, k)
	for i := range n {
		for j := range p {
			cols[j][i] = float32(rng.NormFloat64())
		}
		for c := range k {
			eta[c] = 0
			for j := range min(p, 4) {
				eta[c] += math.Sin(float64(c*7+j)) * float64(cols[j][i]) * 1.5
			}
		}
		out := make([]float64, k)
		softmax(eta, out)
		u, acc := rng.Float64(), 0.0
		for c, v := range out {
			acc += v
			if u < acc || c == k-1 {
				y[i] = float64(c)
				break
			}
		}
	}
	return cols, make([]bool, p), y
}

// TestElasticNetOptimal checks the Karush-Kuhn-Tucker conditions of an
// elastic-net softmax fit, computed here from the definition of the
// objective (not from the solver's code): for every coefficient, the
// gradient of the smooth part g satisfies |g| ≤ λα where the coefficient
// is 0 and g = -λα·sign(β) elsewhere; intercept gradients are 0.
func TestElasticNetOptimal(t *testing.T) {
	n, p, k := 3000, 8, 5
	cols, cat, y := wideTable(n, p, k)
	pr := DefaultParams()
	pr.Lambda, pr.Alpha, pr.MaxIter = 0.01, 0.7, 100
	m, err := Fit(context.Background(), cols, cat, y, Multiclass, k, pr)
	if err != nil {
		t.Fatal(err)
	}
	probs := make([]float64, n*k)
	m.Predict(cols, n, probs)
	l1, l2 := pr.Lambda*pr.Alpha, pr.Lambda*(1-pr.Alpha)
	zeros := 0
	for c := range k {
		var g0 float64
		g := make([]float64, p)
		for i := range n {
			d := probs[i*k+c]
			if int(y[i]) == c {
				d--
			}
			g0 += d / float64(n)
			for j := range p {
				x := (float64(cols[j][i]) - m.Encodings[j].Mean) / m.Encodings[j].Std
				g[j] += d * x / float64(n)
			}
		}
		if math.Abs(g0) > 1e-5 {
			t.Errorf("class %d: intercept gradient %v", c, g0)
		}
		for j := range p {
			b := m.Coef[c][j]
			gj := g[j] + l2*b
			switch {
			case b == 0:
				zeros++
				if math.Abs(gj) > l1+1e-5 {
					t.Errorf("class %d coef %d = 0 but |gradient| %v > %v", c, j, math.Abs(gj), l1)
				}
			case math.Abs(gj+l1*math.Copysign(1, b)) > 1e-5:
				t.Errorf("class %d coef %d = %v: gradient %v, want %v", c, j, b, gj, -l1*math.Copysign(1, b))
			}
		}
	}
	if zeros == 0 {
		t.Error("no coefficient is exactly 0: the L1 part did not act")
	}
}

// TestQNDeterministic: the fitted coefficients are the same bits whatever
// the number of threads (fixed chunks, summed in order).
func TestQNDeterministic(t *testing.T) {
	cols, cat, y := wideTable(9000, 6, 4)
	var ref *Model
	for _, th := range []int{1, 2, 3, 8} {
		p := DefaultParams()
		p.Threads = th
		m, err := Fit(context.Background(), cols, cat, y, Multiclass, 4, p)
		if err != nil {
			t.Fatal(err)
		}
		if ref == nil {
			ref = m
			continue
		}
		for o := range m.Coef {
			if m.Intercept[o] != ref.Intercept[o] {
				t.Fatalf("threads %d: intercept %d differs", th, o)
			}
			for j := range m.Coef[o] {
				if m.Coef[o][j] != ref.Coef[o][j] {
					t.Fatalf("threads %d: coef[%d][%d] %v vs %v", th, o, j, m.Coef[o][j], ref.Coef[o][j])
				}
			}
		}
	}
}

// objective is the elastic-net softmax objective of m on the table,
// computed from its predictions.
func objective(m *Model, cols [][]float32, y []float64, k int, p Params) float64 {
	n := len(y)
	out := make([]float64, n*k)
	m.Predict(cols, n, out)
	var f float64
	for i := range n {
		f -= math.Log(out[i*k+int(y[i])]) / float64(n)
	}
	for _, row := range m.Coef {
		for _, b := range row {
			f += p.Lambda * ((1-p.Alpha)/2*b*b + p.Alpha*math.Abs(b))
		}
	}
	return f
}

// TestWarmStart: a fit started from a neighbouring solution of the path
// reaches the same optimum as a cold one.
func TestWarmStart(t *testing.T) {
	cols, cat, y := wideTable(3000, 6, 4)
	p := DefaultParams()
	p.Lambda = 1e-2
	prev, err := Fit(context.Background(), cols, cat, y, Multiclass, 4, p)
	if err != nil {
		t.Fatal(err)
	}
	p.Lambda = 1e-3
	cold, _ := Fit(context.Background(), cols, cat, y, Multiclass, 4, p)
	warm, err := FitFrom(context.Background(), cols, cat, y, Multiclass, 4, p, prev)
	if err != nil {
		t.Fatal(err)
	}
	fc, fw := objective(cold, cols, y, 4, p), objective(warm, cols, y, 4, p)
	if math.Abs(fc-fw) > 1e-7*fc {
		t.Fatalf("objective cold %.10g, warm %.10g", fc, fw)
	}
}

// TestBalancedWeights: class weights raise the minority's predicted share
// to about its weight-balanced level.
func TestBalancedWeights(t *testing.T) {
	n := 4000
	rng := rand.New(rand.NewPCG(9, 9))
	x := make([]float32, n)
	y := make([]float64, n)
	pos := 0
	for i := range n {
		v := rng.NormFloat64()
		x[i] = float32(v)
		if rng.Float64() < 1/(1+math.Exp(-(v-3.5))) {
			y[i] = 1
			pos++
		}
	}
	mean := func(cw string) float64 {
		p := DefaultParams()
		p.ClassWeight = cw
		m, err := Fit(context.Background(), [][]float32{x}, []bool{false}, y, Binary, 2, p)
		if err != nil {
			t.Fatal(err)
		}
		out := make([]float64, n)
		m.Predict([][]float32{x}, n, out)
		var s float64
		for _, v := range out {
			s += v
		}
		return s / float64(n)
	}
	plain, balanced := mean(""), mean("balanced")
	rate := float64(pos) / float64(n)
	if math.Abs(plain-rate) > 0.01 || balanced < 0.3 {
		t.Fatalf("positive rate %.3f: mean prediction %.3f unweighted, %.3f balanced", rate, plain, balanced)
	}
}
