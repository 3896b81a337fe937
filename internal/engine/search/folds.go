package search

import (
	"math/rand/v2"
	"slices"
)

// Folds assigns every row to one of k folds at random (seeded). For
// classification (classes > 0) it stratifies: each class is spread over
// the folds in turn, so every fold keeps the class mix.
func Folds(y []float64, classes, k int, seed int64) []int {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15))
	fold := make([]int, len(y))
	if classes <= 0 {
		perm := rng.Perm(len(y))
		for i, r := range perm {
			fold[r] = i % k
		}
		return fold
	}
	byClass := make([][]int, classes)
	for i, c := range y {
		byClass[int(c)] = append(byClass[int(c)], i)
	}
	next := 0
	for _, rows := range byClass {
		rng.Shuffle(len(rows), func(a, b int) { rows[a], rows[b] = rows[b], rows[a] })
		for _, r := range rows {
			fold[r] = next % k
			next++
		}
	}
	return fold
}

// split returns the row indices outside and inside fold f.
func split(fold []int, f int) (train, valid []int) {
	for i, v := range fold {
		if v == f {
			valid = append(valid, i)
		} else {
			train = append(train, i)
		}
	}
	return train, valid
}

// holdout splits rows into a fitting part and an early-stopping part of
// about frac of the rows (at least one row each side).
func holdout(rows []int, frac float64, seed int64) (fit, stop []int) {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x51ed27))
	perm := rng.Perm(len(rows))
	n := max(1, int(float64(len(rows))*frac))
	if n >= len(rows) {
		return rows, nil
	}
	for i, p := range perm {
		if i < n {
			stop = append(stop, rows[p])
		} else {
			fit = append(fit, rows[p])
		}
	}
	slices.Sort(fit)
	slices.Sort(stop)
	return fit, stop
}
