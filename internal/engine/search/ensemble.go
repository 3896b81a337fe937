package search

import (
	"fmt"
	"maps"
	"slices"
	"time"
)

// Ensemble selection (greedy forward selection with replacement over the
// candidates' out-of-fold predictions).
const (
	ensemblePool  = 8  // best candidates considered
	ensembleSteps = 20 // selections
	// ensembleGain is the relative improvement an ensemble needs over the
	// best single model to be kept.
	ensembleGain = 1e-4
)

// ensemble returns a blend of the best entries when it beats board[best]
// in cross-validation. Selection stops early at deadline.
func (s *searcher) ensemble(board []Entry, fold []int, k, best int, deadline time.Time) (Entry, bool) {
	sc := s.cfg.Scorer
	order := make([]int, len(board))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case sc.Better(board[a].CVScore, board[b].CVScore):
			return -1
		case sc.Better(board[b].CVScore, board[a].CVScore):
			return 1
		}
		return 0
	})
	order = slices.DeleteFunc(order, func(i int) bool { return board[i].done < k })
	pool := order[:min(ensemblePool, len(order))]
	n := len(board[best].oof)
	sum := make([]float64, n)
	blend := make([]float64, n)
	counts := map[int]int{}
	var bestScore float64
	var bestCounts map[int]int
	steps := 0
	for step := 1; step <= ensembleSteps && time.Now().Before(deadline); step++ {
		steps = step
		pickI, pickScore := -1, 0.0
		for _, i := range pool {
			for j, v := range board[i].oof {
				blend[j] = (sum[j] + v) / float64(step)
			}
			score, _ := s.foldScores(sc, blend, fold, k)
			if pickI < 0 || sc.Better(score, pickScore) {
				pickI, pickScore = i, score
			}
		}
		for j, v := range board[pickI].oof {
			sum[j] += v
		}
		counts[pickI]++
		if bestCounts == nil || sc.Better(pickScore, bestScore) {
			bestScore, bestCounts = pickScore, maps.Clone(counts)
		}
	}
	if steps < ensembleSteps {
		s.note("info", fmt.Sprintf("ensemble selection stopped after %d of %d steps (time budget)", steps, ensembleSteps))
	}
	if len(bestCounts) < 2 || board[best].done < k {
		return Entry{}, false
	}
	single := board[best].CVScore
	gain := (bestScore - single) / max(1e-12, abs(single))
	if !sc.HigherIsBetter {
		gain = -gain
	}
	if gain < ensembleGain {
		return Entry{}, false
	}
	total := 0
	for _, c := range bestCounts {
		total += c
	}
	e := Entry{Model: "ensemble", Params: map[string]string{}, weights: map[int]float64{}, oof: make([]float64, n), done: k}
	for i, c := range bestCounts {
		w := float64(c) / float64(total)
		e.weights[i] = w
		e.Params[fmt.Sprintf("%s#%d", board[i].Model, i+1)] = fmt.Sprintf("%.3g", w)
		e.FitSeconds += board[i].FitSeconds
		for j, v := range board[i].oof {
			e.oof[j] += w * v
		}
	}
	s.score(&e, fold, k)
	return e, true
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}
