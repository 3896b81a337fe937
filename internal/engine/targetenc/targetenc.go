// Package targetenc is out-of-fold, smoothed target encoding of
// high-cardinality categorical columns, shared by the GLM (which encodes
// such a column instead of one-hot coding it) and the tree models (which
// get the encoding as extra numeric features when it helps CV).
//
// A level's encoding is, per output (the positive rate for a binary
// target, each class's rate for multiclass, the mean for regression), its
// smoothed target mean
//
//	(Σ y over the level's rows + Smoothing × prior) / (rows + Smoothing)
//
// Training rows get out-of-fold values: the rows are cut into Folds folds
// (row i in fold i mod Folds) and a row's value comes from the other
// folds' rows only, prior included, so no row's own label reaches its
// encoding. New rows (prediction, validation) use the means over all the
// rows fitted; unseen and missing levels get the prior.
package targetenc

import (
	"fmt"
	"slices"
)

// Smoothing is the prior's weight in rows; Folds the out-of-fold split.
const (
	Smoothing = 20
	Folds     = 5
)

// Table is the fitted encoding of one column.
type Table struct {
	Levels []int     `json:"levels"` // category codes seen, ascending
	Values []float64 `json:"values"` // len(Levels) × len(Prior), row-major
	Prior  []float64 `json:"prior"`  // the encoding of unseen and missing levels
}

// Width is the number of values per row: classes for a multiclass target
// (classes > 2), one otherwise (binary: classes 2; regression: 0 or 1).
func Width(classes int) int {
	if classes > 2 {
		return classes
	}
	return 1
}

// HighCardinality reports whether col has more than limit distinct
// non-missing codes.
func HighCardinality(col []float32, limit int) bool {
	seen := map[float32]struct{}{}
	for _, v := range col {
		if v == v {
			seen[v] = struct{}{}
			if len(seen) > limit {
				return true
			}
		}
	}
	return false
}

// Fit encodes col (category codes, NaN = missing) against y (class indices
// for classification, values for regression; classes as in Width). It
// returns the table over all rows and the out-of-fold values of every row
// (len(col) × Width, row-major).
func Fit(col []float32, y []float64, classes int) (Table, []float64) {
	w := Width(classes)
	target := func(i, o int) float64 {
		if classes > 2 {
			if int(y[i]) == o {
				return 1
			}
			return 0
		}
		return y[i]
	}
	type acc struct {
		count [Folds]float64
		sum   [Folds][]float64
	}
	levels := map[int]*acc{}
	var foldN [Folds]float64
	var foldSum [Folds][]float64
	for f := range foldSum {
		foldSum[f] = make([]float64, w)
	}
	for i, v := range col {
		f := i % Folds
		foldN[f]++
		for o := range w {
			foldSum[f][o] += target(i, o)
		}
		if v != v {
			continue
		}
		a := levels[int(v)]
		if a == nil {
			a = &acc{}
			for g := range a.sum {
				a.sum[g] = make([]float64, w)
			}
			levels[int(v)] = a
		}
		a.count[f]++
		for o := range w {
			a.sum[f][o] += target(i, o)
		}
	}
	var total float64
	prior := make([]float64, w)
	for f := range Folds {
		total += foldN[f]
		for o := range w {
			prior[o] += foldSum[f][o]
		}
	}
	for o := range prior {
		prior[o] /= max(total, 1)
	}
	// Each fold's prior, summed over the other folds only (not as the total
	// less the fold's part, which would carry the fold's labels in its
	// rounding).
	var foldPrior [Folds][]float64
	for f := range Folds {
		foldPrior[f] = make([]float64, w)
		var n float64
		for g := range Folds {
			if g != f {
				n += foldN[g]
				for o := range w {
					foldPrior[f][o] += foldSum[g][o]
				}
			}
		}
		for o := range w {
			foldPrior[f][o] /= max(n, 1)
		}
	}
	oof := make([]float64, len(col)*w)
	for i, v := range col {
		f := i % Folds
		var a *acc
		if v == v {
			a = levels[int(v)]
		}
		for o := range w {
			p := foldPrior[f][o]
			val := p
			if a != nil {
				var cnt, sum float64
				for g := range Folds {
					if g != f {
						cnt += a.count[g]
						sum += a.sum[g][o]
					}
				}
				val = (sum + Smoothing*p) / (cnt + Smoothing)
			}
			oof[i*w+o] = val
		}
	}
	t := Table{Prior: prior, Levels: make([]int, 0, len(levels))}
	for c := range levels {
		t.Levels = append(t.Levels, c)
	}
	slices.Sort(t.Levels)
	t.Values = make([]float64, len(t.Levels)*w)
	for j, c := range t.Levels {
		a := levels[c]
		var cnt float64
		for g := range Folds {
			cnt += a.count[g]
		}
		for o := range w {
			var sum float64
			for g := range Folds {
				sum += a.sum[g][o]
			}
			t.Values[j*w+o] = (sum + Smoothing*prior[o]) / (cnt + Smoothing)
		}
	}
	return t, oof
}

// Lookup is the encoding of code v (NaN = missing): the level's values, or
// the prior for a missing or unseen level. The slice is the table's own.
func (t *Table) Lookup(v float32) []float64 {
	if v == v {
		if j, ok := slices.BinarySearch(t.Levels, int(v)); ok {
			w := len(t.Prior)
			return t.Values[j*w : (j+1)*w]
		}
	}
	return t.Prior
}

// Check reports a table that Lookup cannot use (read from a damaged or
// hand-edited model file).
func (t *Table) Check() error {
	if len(t.Prior) == 0 {
		return fmt.Errorf("target encoding without a prior")
	}
	if len(t.Values) != len(t.Levels)*len(t.Prior) {
		return fmt.Errorf("target encoding: %d values for %d levels × %d outputs", len(t.Values), len(t.Levels), len(t.Prior))
	}
	if !slices.IsSorted(t.Levels) {
		return fmt.Errorf("target encoding: levels not in ascending order")
	}
	return nil
}
