// Package search runs the AutoML search: it detects the task, turns the
// accuracy/time/interpretability dials into a plan (folds, candidates, time
// budget), cross-validates every candidate into a leaderboard, optionally
// blends the best into an ensemble, and refits the winner on all rows.
package search

import (
	"time"

	"github.com/drover-ml/drover/internal/engine/usererr"
)

// Dials are the three 1-10 knobs users turn. 0 means "suggest from the
// data's shape".
type Dials struct {
	Accuracy, Time, Interpretability int
}

// Validate checks every dial is 0 or within 1-10.
func (d Dials) Validate() error {
	for _, v := range []struct {
		name string
		v    int
	}{{"accuracy", d.Accuracy}, {"time", d.Time}, {"interpretability", d.Interpretability}} {
		if v.v < 0 || v.v > 10 {
			return usererr.New(usererr.DialOutOfRange, "%s dial %d is out of range: use 1-10 (or 0 to let drover choose)", v.name, v.v)
		}
	}
	return nil
}

// Suggest fills zero dials from the data's shape: small tables get more
// accuracy (more folds and candidates) for little time; big ones less
// accuracy and more time. Interpretability defaults to 5.
func (d Dials) Suggest(rows, cols int) Dials {
	cells := rows * max(cols, 1)
	acc, tim := 7, 3
	switch {
	case cells > 50_000_000:
		acc, tim = 5, 6
	case cells > 2_000_000:
		acc, tim = 6, 5
	case cells > 100_000:
		acc, tim = 7, 4
	}
	if d.Accuracy == 0 {
		d.Accuracy = acc
	}
	if d.Time == 0 {
		d.Time = tim
	}
	if d.Interpretability == 0 {
		d.Interpretability = 5
	}
	return d
}

// Plan is what the dials mean for one run.
type Plan struct {
	Folds     int           // K of K-fold cross-validation
	Budget    time.Duration // wall-clock budget of the whole run
	GLMs      int           // GLM candidates (regularisation strengths)
	GBMs      int           // GBM candidates (grid points)
	MaxDepth  int           // deepest GBM trees allowed
	Ensemble  bool          // try a blend of the best candidates
	MaxRounds int           // boosting rounds cap (early stopping picks fewer)
}

// budgets maps the time dial to a wall-clock budget.
var budgets = [11]time.Duration{0, 20 * time.Second, 40 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute,
	8 * time.Minute, 15 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour}

// PlanFor maps (suggested, validated) dials to a plan.
//
//	accuracy      1-2: 3 folds, 1 GLM, 1 GBM   3-4: 3 folds, 2 GLMs, 2 GBMs
//	              5-6: 5 folds, 3 GLMs, 4 GBMs 7-8: 5 folds, 4 GLMs, 6 GBMs
//	              9-10: 10 folds, 4 GLMs, 8 GBMs
//	time          1: 20 s, 2: 40 s, 3: 1 min, 4: 2 min, 5: 4 min, 6: 8 min,
//	              7: 15 min, 8: 30 min, 9: 1 h, 10: 2 h
//	interpret.    ≥ 8: GLM only; 6-7: trees at most 4 deep, no ensemble;
//	              ≤ 5: anything, ensemble from accuracy 5 up
func PlanFor(d Dials) Plan {
	p := Plan{Budget: budgets[d.Time], MaxDepth: 10, MaxRounds: 2000}
	switch {
	case d.Accuracy <= 2:
		p.Folds, p.GLMs, p.GBMs, p.MaxRounds = 3, 1, 1, 500
	case d.Accuracy <= 4:
		p.Folds, p.GLMs, p.GBMs, p.MaxRounds = 3, 2, 2, 1000
	case d.Accuracy <= 6:
		p.Folds, p.GLMs, p.GBMs = 5, 3, 4
	case d.Accuracy <= 8:
		p.Folds, p.GLMs, p.GBMs = 5, 4, 6
	default:
		p.Folds, p.GLMs, p.GBMs = 10, 4, 8
	}
	p.Ensemble = d.Accuracy >= 5
	switch {
	case d.Interpretability >= 8:
		p.GBMs, p.Ensemble = 0, false
	case d.Interpretability >= 6:
		p.MaxDepth, p.Ensemble = 4, false
	}
	return p
}
