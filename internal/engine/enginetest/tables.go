package enginetest

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// letterNames are the 16 features of UCI's letter-recognition table, whose
// shape Letters copies.
var letterNames = []string{"xbox", "ybox", "width", "high", "onpix", "xbar", "ybar", "x2bar",
	"y2bar", "xybar", "x2ybr", "xy2br", "xege", "xegvy", "yege", "yegvx"}

// Letters generates a table shaped like UCI letter recognition: rows rows
// (20,000 for the benchmark), 16 integer features in 0..15 and a 26-class
// target "letter" (A..Z, about equally frequent). Each class is a mixture
// of three styles; a style moves 8 of the 16 features away from the common
// mean and has its own spread, and a shared size factor scales the first
// five features, so classes are separable but not linearly. One label in
// fifty is replaced by a random class. The same rows and seed give the
// same table.
func Letters(rows int, seed uint64) *Table {
	const (
		classes = 26
		styles  = 3
		nf      = 16
	)
	r := rand.New(rand.NewPCG(seed, 0x1e77e5))
	type style struct{ mu, sd [nf]float64 }
	st := make([]style, classes*styles)
	for s := range st {
		for j := range nf {
			st[s].mu[j] = 7.5
			st[s].sd[j] = 0.8 + 1.2*r.Float64()
		}
		for _, j := range r.Perm(nf)[:8] {
			st[s].mu[j] = 2 + 11*r.Float64()
		}
	}
	t := &Table{Names: append([]string(nil), letterNames...), Cols: make([][]float32, nf),
		Levels: make([][]string, nf), TargetName: "letter", Target: make([]float32, rows)}
	for c := range classes {
		t.Classes = append(t.Classes, string(rune('A'+c)))
	}
	for j := range t.Cols {
		t.Cols[j] = make([]float32, rows)
	}
	for i := range rows {
		c := r.IntN(classes)
		s := &st[c*styles+r.IntN(styles)]
		size := r.NormFloat64()
		for j := range nf {
			v := s.mu[j] + s.sd[j]*r.NormFloat64()
			if j < 5 {
				v += 1.5 * size
			}
			t.Cols[j][i] = float32(math.Max(0, math.Min(15, math.Round(v))))
		}
		if r.IntN(50) == 0 {
			c = r.IntN(classes)
		}
		t.Target[i] = float32(c)
	}
	return t
}

// HighCardinality generates a binary table with one categorical feature
// "code" of levels levels (5,000 for the tests: "L0000".."L4999") whose
// frequencies fall off like 1/(rank+20), so that many levels are rare,
// and four numeric features x1..x4. The log-odds of target "y" (levels
// "no", "yes") is a per-level effect (normal, sd 1.2) plus 0.8·x1 − 0.6·x2
// + 0.4·x3·x4 − 1: the code carries most of the signal, which only an
// encoding that pools a level's rows can use. The same arguments give the
// same table.
func HighCardinality(rows, levels int, seed uint64) *Table {
	r := rand.New(rand.NewPCG(seed, 0x4c4c))
	effect := make([]float64, levels)
	cum := make([]float64, levels)
	var total float64
	for l := range levels {
		effect[l] = 1.2 * r.NormFloat64()
		total += 1 / float64(l+20)
		cum[l] = total
	}
	names := make([]string, levels)
	width := len(fmt.Sprint(levels - 1))
	for l := range names {
		names[l] = fmt.Sprintf("L%0*d", width, l)
	}
	// Level l is drawn by rank, but coded by name (a shuffled rank), so that
	// code order says nothing about frequency.
	code := r.Perm(levels)
	t := &Table{Names: []string{"code", "x1", "x2", "x3", "x4"}, Cols: make([][]float32, 5),
		Levels: [][]string{names, nil, nil, nil, nil}, TargetName: "y", Target: make([]float32, rows),
		Classes: []string{"no", "yes"}}
	for j := range t.Cols {
		t.Cols[j] = make([]float32, rows)
	}
	for i := range rows {
		u := r.Float64() * total
		lo, hi := 0, levels-1
		for lo < hi {
			m := (lo + hi) / 2
			if cum[m] < u {
				lo = m + 1
			} else {
				hi = m
			}
		}
		x := [4]float64{r.NormFloat64(), r.NormFloat64(), r.NormFloat64(), r.NormFloat64()}
		t.Cols[0][i] = float32(code[lo])
		for j, v := range x {
			t.Cols[j+1][i] = float32(v)
		}
		z := effect[lo] + 0.8*x[0] - 0.6*x[1] + 0.4*x[2]*x[3] - 1
		if r.Float64() < 1/(1+math.Exp(-z)) {
			t.Target[i] = 1
		}
	}
	return t
}
