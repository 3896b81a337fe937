package targetenc

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// table is n rows of a 300-level column (every 50th row missing) and a
// target of the given classes (0: regression) that depends on the level.
func table(n, classes int) ([]float32, []float64) {
	rng := rand.New(rand.NewPCG(3, uint64(classes)))
	col := make([]float32, n)
	y := make([]float64, n)
	for i := range n {
		c := rng.IntN(300)
		col[i] = float32(c)
		if i%50 == 0 {
			col[i] = float32(math.NaN())
		}
		switch {
		case classes == 0:
			y[i] = float64(c%7) + rng.NormFloat64()
		case rng.Float64() < 0.6:
			y[i] = float64(c % classes)
		default:
			y[i] = float64(rng.IntN(classes))
		}
	}
	return col, y
}

// want is row i's out-of-fold value for output o, computed directly from
// the rows of the other folds.
func want(col []float32, y []float64, classes, i, o int) float64 {
	val := func(j int) float64 {
		if classes > 2 {
			if int(y[j]) == o {
				return 1
			}
			return 0
		}
		return y[j]
	}
	var pn, ps, cnt, sum float64
	for j := range col {
		if j%Folds == i%Folds {
			continue
		}
		pn++
		ps += val(j)
		if col[i] == col[i] && col[j] == col[i] {
			cnt++
			sum += val(j)
		}
	}
	prior := ps / pn
	if col[i] != col[i] {
		return prior
	}
	return (sum + Smoothing*prior) / (cnt + Smoothing)
}

// TestOutOfFold proves that a row's value comes from the other folds only:
// it equals the smoothed mean computed here from them, and changing the
// row's own label leaves it unchanged, for binary, multiclass and
// regression targets.
func TestOutOfFold(t *testing.T) {
	for _, classes := range []int{0, 2, 5} {
		col, y := table(2000, classes)
		tab, oof := Fit(col, y, classes)
		w := Width(classes)
		if len(oof) != len(col)*w || len(tab.Prior) != w {
			t.Fatalf("classes %d: %d values, prior %d; want %d×%d", classes, len(oof), len(tab.Prior), len(col), w)
		}
		if err := tab.Check(); err != nil {
			t.Fatal(err)
		}
		for _, i := range []int{0, 1, 7, 50, 999, 1999} {
			for o := range w {
				if got, exp := oof[i*w+o], want(col, y, classes, i, o); math.Abs(got-exp) > 1e-12 {
					t.Fatalf("classes %d row %d output %d: %v, want %v from the other folds", classes, i, o, got, exp)
				}
			}
			changed := append([]float64(nil), y...)
			if classes == 0 {
				changed[i] += 100
			} else {
				changed[i] = float64((int(y[i]) + 1) % classes)
			}
			_, again := Fit(col, changed, classes)
			for o := range w {
				if again[i*w+o] != oof[i*w+o] {
					t.Fatalf("classes %d row %d: its own label changed its encoding (%v → %v)", classes, i, oof[i*w+o], again[i*w+o])
				}
			}
			// And it does reach a row of the same level in another fold.
			for j := range col {
				if col[i] == col[i] && col[j] == col[i] && j%Folds != i%Folds {
					if slices.Equal(again[j*w:(j+1)*w], oof[j*w:(j+1)*w]) {
						t.Fatalf("classes %d: row %d's label does not reach row %d of its level", classes, i, j)
					}
					break
				}
			}
		}
	}
}

// TestLookup checks the full-data table: a level's value is its smoothed
// mean over every row, and missing or unseen levels get the prior.
func TestLookup(t *testing.T) {
	col := []float32{1, 1, 1, 2, float32(math.NaN()), 2}
	y := []float64{1, 1, 0, 0, 1, 0}
	tab, _ := Fit(col, y, 2)
	prior := 3.0 / 6
	if tab.Prior[0] != prior {
		t.Fatalf("prior %v, want %v", tab.Prior[0], prior)
	}
	if got, exp := tab.Lookup(1)[0], (2+Smoothing*prior)/(3+Smoothing); math.Abs(got-exp) > 1e-15 {
		t.Fatalf("level 1: %v, want %v", got, exp)
	}
	if got, exp := tab.Lookup(2)[0], (0+Smoothing*prior)/(2+Smoothing); math.Abs(got-exp) > 1e-15 {
		t.Fatalf("level 2: %v, want %v", got, exp)
	}
	for _, v := range []float32{float32(math.NaN()), 7} {
		if got := tab.Lookup(v)[0]; got != prior {
			t.Fatalf("code %v: %v, want the prior %v", v, got, prior)
		}
	}
}

// TestCheck refuses tables Lookup could not use.
func TestCheck(t *testing.T) {
	for name, tab := range map[string]Table{
		"no prior":     {Levels: []int{1}, Values: []float64{0.5}},
		"short values": {Levels: []int{1, 2}, Values: []float64{0.5}, Prior: []float64{0.5}},
		"unsorted":     {Levels: []int{2, 1}, Values: []float64{0.5, 0.5}, Prior: []float64{0.5}},
	} {
		if tab.Check() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestHighCardinality(t *testing.T) {
	col := []float32{0, 1, 2, float32(math.NaN()), 2}
	if HighCardinality(col, 3) || !HighCardinality(col, 2) {
		t.Fatal("3 distinct codes (and a missing value) misjudged")
	}
}
