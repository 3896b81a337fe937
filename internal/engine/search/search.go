package search

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/drover-ml/drover/internal/engine/gbm"
	"github.com/drover-ml/drover/internal/engine/glm"
	"github.com/drover-ml/drover/internal/engine/metric"
	"github.com/drover-ml/drover/internal/engine/model"
	"github.com/drover-ml/drover/internal/engine/usererr"
	"github.com/drover-ml/drover/internal/engine/xgb"
)

// Data is a prepared training table: features column by column (NaN =
// missing, categoricals as integer codes) and the target (class indices
// for classification, values for regression).
type Data struct {
	Names       []string
	Cols        [][]float32
	Categorical []bool
	Y           []float64
	Task        string
	NumClass    int // classes; 1 for regression
}

// Rows is the number of rows.
func (d *Data) Rows() int { return len(d.Y) }

// Config drives Run.
type Config struct {
	Scorer *metric.Scorer
	Dials  Dials // validated and suggested
	// Folds: -1 = from the dials, 0 = no cross-validation (fit one model
	// on all rows), ≥ 2 = that many folds.
	Folds   int
	Models  []string
	Params  map[string]string
	Seed    int64
	Threads int
	// Deadline bounds the whole run (zero: from the dials, counted from
	// Run's start).
	Deadline time.Time
	// After is the time the caller needs once Run returns, inside
	// Deadline (plots, explanations): the search, the ensemble and the
	// refit are planned to end that long before it.
	After    time.Duration
	Finish   <-chan struct{}
	Progress func(fraction float64, message string)
	Log      func(level, message string)
	// Candidate, if set, is called with each candidate as soon as it is
	// scored (the live leaderboard of a running experiment).
	Candidate func(Entry)
}

// Entry is one leaderboard row.
type Entry struct {
	Model      string
	Params     map[string]string
	CVScore    float64
	CVStd      float64
	FitSeconds float64
	Metrics    map[string]float64 // CV mean of every applicable scorer

	cand       candidate
	oof        []float64 // out-of-fold predictions
	foldModels []model.Member
	rounds     []int // best rounds per fold (GBM)
	done       int   // folds evaluated (fewer than K when cut short)
	weights    map[int]float64
	cut        bool   // some fold stopped at the candidate's time cap
	foldCut    []bool // per fold evaluated: stopped at the time cap
}

// Result is what a search produced.
type Result struct {
	Leaderboard []Entry // best first
	Best        Entry
	Members     []model.Member // the final model, fitted on all rows
	Folds       int
	Fold        []int     // each row's fold (nil without CV)
	OOF         []float64 // the best entry's out-of-fold predictions (nil without CV)
	Importance  []float64 // per feature, summing to 1
	// Notes say what was cut short or skipped, and why (also logged).
	Notes []string
}

type searcher struct {
	cfg   Config
	data  *Data
	k     int // prediction width
	start time.Time
	// warm holds the last GLM fitted on each set of rows (keyed by
	// rowsKey), the warm start of the next GLM on the same rows: the
	// candidates' penalties form a regularisation path.
	warm  map[string]*glm.Model
	notes []string
	// foldRows and foldY cache each fold's rows and targets for the fold
	// assignment foldRowsOf; foldP is foldScores' buffer.
	foldRows   [][]int
	foldY      [][]float64
	foldRowsOf []int
	foldP      []float64
	// teFeatures are the categoricals the trees may get target-encoded
	// (see encodeRows); teTrees says whether the probe found that it helps.
	teFeatures []int
	teTrees    bool
}

// note logs msg and keeps it for the summary.
func (s *searcher) note(level, msg string) {
	s.cfg.Log(level, msg)
	s.notes = append(s.notes, msg)
}

// rowsKey names a set of rows (the fold's training rows or all rows).
func rowsKey(rows []int) string {
	if len(rows) == 0 {
		return ""
	}
	return fmt.Sprint(len(rows), rows[0], rows[len(rows)/2], rows[len(rows)-1])
}

// Run searches. It returns ctx's error when ctx ends (abort) and keeps the
// best so far when cfg.Finish closes.
func Run(ctx context.Context, d *Data, cfg Config) (*Result, error) {
	s := &searcher{cfg: cfg, data: d, k: model.Outputs(d.Task, d.NumClass), start: time.Now()}
	if s.cfg.Log == nil {
		s.cfg.Log = func(string, string) {}
	}
	if s.cfg.Progress == nil {
		s.cfg.Progress = func(float64, string) {}
	}
	if s.cfg.Candidate == nil {
		s.cfg.Candidate = func(Entry) {}
	}
	plan := PlanFor(cfg.Dials)
	if s.cfg.Deadline.IsZero() {
		s.cfg.Deadline = s.start.Add(plan.Budget)
	}
	if cfg.Folds == 0 {
		return s.fitOnly(ctx)
	}
	k := plan.Folds
	if cfg.Folds >= 2 {
		k = cfg.Folds
	}
	classes := 0
	if d.Task != metric.Regression {
		classes = d.NumClass
		k = min(k, minClassCount(d.Y, classes))
	}
	k = min(k, d.Rows())
	if k < 2 {
		return nil, usererr.New(usererr.TooFewRows, "too few rows to cross-validate (%d)", d.Rows())
	}
	if s.teMode() != teOff {
		s.teFeatures = teFeatures(d)
	}
	cands, err := s.candidates(plan)
	if err != nil {
		return nil, err
	}
	s.cfg.Log("info", fmt.Sprintf("search plan: %d-fold CV, %d candidates, budget %s", k, len(cands), time.Until(s.cfg.Deadline).Round(time.Second)))
	fold := Folds(d.Y, classes, k, cfg.Seed)
	return s.cv(ctx, cands, fold, k, plan)
}

func minClassCount(y []float64, classes int) int {
	counts := make([]int, classes)
	for _, c := range y {
		counts[int(c)]++
	}
	return slices.Min(counts)
}

// fitOnly fits the one candidate on all rows.
func (s *searcher) fitOnly(ctx context.Context) (*Result, error) {
	c, err := s.single()
	if err != nil {
		return nil, err
	}
	if s.teMode() == teOn && boosted(c.kind) {
		if s.teFeatures = teFeatures(s.data); len(s.teFeatures) > 0 {
			c = c.withTE()
		}
	}
	s.cfg.Progress(0.05, "fitting "+c.String())
	t0 := time.Now()
	all := allRows(s.data.Rows())
	m, _, _, err := s.fit(ctx, c, all, nil, time.Time{})
	if err != nil {
		return nil, err
	}
	e := Entry{Model: c.kind, Params: c.display, FitSeconds: time.Since(t0).Seconds(), cand: c}
	s.cfg.Candidate(e)
	res := &Result{Leaderboard: []Entry{e}, Best: e, Members: []model.Member{m}}
	res.Importance = importance(res.Members, len(s.data.Cols))
	return res, nil
}

func allRows(n int) []int {
	r := make([]int, n)
	for i := range r {
		r[i] = i
	}
	return r
}

// cv cross-validates the candidates in order within the time budget.
func (s *searcher) cv(ctx context.Context, cands []candidate, fold []int, k int, plan Plan) (*Result, error) {
	var board []Entry
	best := -1
	var finished atomic.Bool
	searchCtx, stopSearch := context.WithCancel(ctx)
	defer stopSearch()
	if s.cfg.Finish != nil {
		go func() {
			select {
			case <-s.cfg.Finish:
				finished.Store(true)
				stopSearch()
			case <-searchCtx.Done():
			}
		}()
	}
	reserve := time.Duration(0)
	budget := s.cfg.Deadline.Sub(s.start)
	// end is when the search's own work (candidates, ensemble, refit) is
	// planned to be over: the caller's part comes after it.
	end := s.cfg.Deadline.Add(-s.cfg.After)
	ensembleTime := time.Duration(0)
	if plan.Ensemble {
		ensembleTime = time.Duration(ensembleShare * float64(budget))
	}
	quickTime := map[string]float64{} // seconds the quick fit of each family took
	for i, c := range cands {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if searchCtx.Err() != nil && best >= 0 {
			s.skipped(cands[i:], "finish requested")
			break
		}
		// The search ends early enough for the ensemble, the refit (of the
		// best entry and, when an ensemble may need it, the runner-up) and
		// a margin; each candidate may take its share of what remains (see
		// shareOf). The first fits of each family (quick) always start, cut
		// at their cap (a GBM keeps at least one round).
		searchEnd := end.Add(-reserve - ensembleTime - time.Duration(budgetMargin*float64(budget)))
		left := time.Until(searchEnd)
		if best >= 0 && left <= 0 && !c.quick {
			s.skipped(cands[i:], "time budget")
			break
		}
		rest := cands[i+1:]
		leaderCut := best >= 0 && board[best].cut && board[best].cand.kind == model.KindGBM
		if leaderCut {
			// Continuing the best entry (after the loop) is one more
			// candidate waiting for its share.
			rest = append(slices.Clip(rest), board[best].cand)
		}
		share := shareOf(c, rest)
		capDur := time.Duration(float64(max(left, 0)) * share)
		if q, ok := quickTime[c.kind]; ok && !c.quick && capDur.Seconds() < q/2 {
			s.note("info", fmt.Sprintf("%s: skipped (its share of the time left, %.1fs, is under half what the quick %s fit took)", c, capDur.Seconds(), c.kind))
			continue
		}
		// XGBoost has no quick fit of its own; the quick GBM stands in (an
		// XGBoost round costs more than a GBM round, hence not half of it).
		if q, ok := quickTime[model.KindGBM]; ok && c.kind == model.KindXGB && best >= 0 && capDur.Seconds() < q {
			s.note("info", fmt.Sprintf("%s: skipped (its share of the time left, %.1fs, is under what the quick gbm fit took)", c, capDur.Seconds()))
			continue
		}
		// While the best entry is a GBM cut at its cap, a tree model that
		// would get less time than it took can hardly catch up: the time
		// goes to continuing the best one instead (after the loop).
		if leaderCut && !c.quick && boosted(c.kind) && capDur.Seconds() < board[best].FitSeconds {
			s.note("info", fmt.Sprintf("%s: skipped (its share of the time left, %.1fs, is under the %.1fs of the best entry, a gbm cut at its cap, which gets the time instead)", c, capDur.Seconds(), board[best].FitSeconds))
			continue
		}
		// More GLMs cannot close a wide gap: skip them when the best GLM's
		// error is over farBehind times the best entry's.
		if best >= 0 && !c.quick && c.kind == model.KindGLM {
			if g := bestOf(s.cfg.Scorer, board, model.KindGLM); g >= 0 && behind(s.cfg.Scorer, board[g].CVScore, board[best].CVScore) {
				s.note("info", fmt.Sprintf("%s: skipped (the best glm, cv %s %.5g, is far behind the best entry's %.5g)", c, s.cfg.Scorer.Name, board[g].CVScore, board[best].CVScore))
				continue
			}
		}
		if s.teTrees && boosted(c.kind) && !c.quick && !c.te {
			c = c.withTE()
		}
		if best < 0 && c.kind == model.KindXGB {
			capDur = max(left, 0) // nothing to fall back on: the budget is its own
		}
		s.cfg.Progress(0.9*float64(i)/float64(len(cands)), "cross-validating "+c.String())
		// Until a candidate has finished, only an abort stops the search:
		// a run must end with a model.
		base, rescue := searchCtx, context.Context(nil)
		if best < 0 {
			base, rescue = ctx, ctx
		}
		cctx, cancel := context.WithDeadline(base, s.cfg.Deadline)
		e, err := s.evaluate(cctx, rescue, c, fold, k, capDur)
		cancel()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if err != nil {
			if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
				why := "time budget"
				if finished.Load() {
					why = "finish requested"
				}
				s.note("info", fmt.Sprintf("%s: stopped unfinished and not scored (%s)", c, why))
				continue
			}
			return nil, err
		}
		board = append(board, e)
		s.cfg.Candidate(e)
		if c.quick {
			quickTime[c.kind] = e.FitSeconds
		}
		if c.teProbe {
			s.judgeTE(board, e)
		}
		s.cfg.Log("info", fmt.Sprintf("%s: cv %s %.5g ± %.3g (%.1fs)", c, s.cfg.Scorer.Name, e.CVScore, e.CVStd, e.FitSeconds))
		if e.cut {
			s.note("info", fmt.Sprintf("%s: cut at its time cap (%.1fs, its share of the %.1fs left) and scored as it stands", c, capDur.Seconds(), max(left, 0).Seconds()))
		}
		if best < 0 || s.cfg.Scorer.Better(e.CVScore, board[best].CVScore) {
			best = len(board) - 1
		}
		reserve = s.reserve(board, best, k, plan)
	}
	if best < 0 {
		return nil, errors.New("search: no candidate finished")
	}
	// Time left over (candidates skipped because their share was too small
	// to be of use, or that finished early) goes to the best GBM that was
	// cut at its cap: it goes on from the round it stopped at.
	if !finished.Load() {
		if i := s.continuable(board); i >= 0 {
			searchEnd := end.Add(-reserve - ensembleTime - time.Duration(budgetMargin*float64(budget)))
			left := time.Until(searchEnd)
			// Its refit grows with it: keep back its estimate for the extra time.
			capDur := time.Duration(float64(left) / (1 + refitFactor/float64(k-1)))
			if capDur < minContinue || capDur.Seconds() < continueFrac*board[i].FitSeconds {
				if left > 0 {
					s.note("info", fmt.Sprintf("%s: not continued (%.1fs left, too little to add rounds)", board[i].cand, max(left, 0).Seconds()))
				}
			} else {
				prev := board[i]
				e, err := s.continueCut(searchCtx, prev, fold, k, capDur)
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				switch {
				case err != nil:
					s.note("info", fmt.Sprintf("%s: continuing it stopped unfinished (%v); kept as it was", prev.cand, err))
				default:
					msg := fmt.Sprintf("%s: continued with the time left (%.1fs): rounds per fold %s → %s, cv %s %.5g → %.5g",
						prev.cand, capDur.Seconds(), roundsList(prev.rounds), roundsList(e.rounds), s.cfg.Scorer.Name, prev.CVScore, e.CVScore)
					if e.cut {
						msg += "; cut again at its cap"
					}
					if s.cfg.Scorer.Better(prev.CVScore, e.CVScore) {
						s.note("info", msg+"; the continued model scores worse, kept as it was")
						break
					}
					s.note("info", msg)
					board[i] = e
					s.cfg.Candidate(e)
					if i != best && s.cfg.Scorer.Better(e.CVScore, board[best].CVScore) {
						best = i
					}
				}
			}
		}
	}
	if finished.Load() {
		s.note("info", "search finished early on request; keeping the best so far")
	}
	res := &Result{Folds: k, Fold: fold}
	defer func() { res.Notes = s.notes }()
	final := board[best]
	if plan.Ensemble && len(board) > 1 && !finished.Load() {
		// Members that cannot be refitted in time fall back to their fold
		// models (see refit), so an ensemble never needs extra budget. The
		// selection stops where the refit's reserve begins.
		ensEnd := end.Add(-s.reserve(board, best, k, plan))
		if !time.Now().Before(ensEnd) {
			s.note("info", "ensemble not tried (time budget: the refit needs what is left)")
		} else if e, ok := s.ensemble(board, fold, k, best, ensEnd); ok {
			board = append(board, e)
			final = e
			s.cfg.Log("info", fmt.Sprintf("ensemble of %d models: cv %s %.5g", len(e.weights), s.cfg.Scorer.Name, e.CVScore))
		}
	}
	s.cfg.Progress(0.9, "refitting the best model on all rows")
	members, err := s.refit(ctx, board, final, k, end.Add(time.Duration(refitGrace*float64(budget))))
	if err != nil {
		return nil, err
	}
	res.Members = members
	res.Best = final
	if final.done == k {
		res.OOF = final.oof
	}
	res.Importance = importance(members, len(s.data.Cols))
	slices.SortStableFunc(board, func(a, b Entry) int {
		switch {
		case s.cfg.Scorer.Better(a.CVScore, b.CVScore):
			return -1
		case s.cfg.Scorer.Better(b.CVScore, a.CVScore):
			return 1
		}
		return 0
	})
	res.Leaderboard = board
	s.cfg.Progress(1, "done")
	return res, nil
}

// Budget shares: the search stops budgetMargin of the budget early (on top
// of the refit's estimated time and ensembleShare of the budget for the
// ensemble), a candidate takes at most maxShare of what remains, and a
// refit may run refitGrace past its planned end (still inside the caller's
// After) before it falls back to the fold models.
const (
	budgetMargin  = 0.02
	maxShare      = 1.0 / 3
	refitGrace    = 0.02
	ensembleShare = 0.02
	// The quick GLM takes at most quickGLMShare of what remains when a
	// tree family follows (it is rarely the best model, and on many
	// classes it can use all it gets); the quick GBM quickGBMShare.
	quickGLMShare = 1.0 / 8
	quickGBMShare = 1.0 / 2
)

// shareOf is the part of the time left that candidate c may take, given
// the candidates after it: all of it for the last, 1/n of it when n remain
// (at most maxShare), and the quick fits' own shares.
func shareOf(c candidate, rest []candidate) float64 {
	if len(rest) == 0 {
		return 1
	}
	if c.quick {
		switch c.kind {
		case model.KindGLM:
			if slices.ContainsFunc(rest, func(o candidate) bool { return boosted(o.kind) }) {
				return quickGLMShare
			}
		case model.KindGBM:
			return quickGBMShare
		}
	}
	return max(1/float64(len(rest)+1), maxShare)
}

// farBehind is the error ratio past which a family's best is far behind
// the leader (see behind).
const farBehind = 2.0

// behind reports whether score a is far behind score b: its error is over
// farBehind times b's, the error being the score itself for a scorer where
// lower is better, and 1 - score for the others (all at most 1).
func behind(sc *metric.Scorer, a, b float64) bool {
	ea, eb := a, b
	if sc.HigherIsBetter {
		ea, eb = 1-a, 1-b
	}
	return eb > 0 && ea > farBehind*eb
}

// bestOf is the index of the best entry of a kind on board, or -1.
func bestOf(sc *metric.Scorer, board []Entry, kind string) int {
	best := -1
	for i, e := range board {
		if e.Model == kind && (best < 0 || sc.Better(e.CVScore, board[best].CVScore)) {
			best = i
		}
	}
	return best
}

// skipped notes the candidates left untried.
func (s *searcher) skipped(rest []candidate, why string) {
	names := make([]string, len(rest))
	for i, c := range rest {
		names[i] = c.String()
	}
	s.note("info", fmt.Sprintf("skipped %d candidate(s) (%s): %s", len(rest), why, strings.Join(names, "; ")))
}

// reserve is the time kept back for the refit: the best entry's, plus the
// runner-up's when an ensemble may need it too.
func (s *searcher) reserve(board []Entry, best, k int, plan Plan) time.Duration {
	r := refitEstimate(board[best], k)
	if plan.Ensemble && len(board) > 1 {
		second := -1
		for i := range board {
			if i != best && (second < 0 || s.cfg.Scorer.Better(board[i].CVScore, board[second].CVScore)) {
				second = i
			}
		}
		r += refitEstimate(board[second], k)
	}
	return r
}

// refitEstimate guesses the time to refit an entry on all rows from its
// cross-validation time.
func refitEstimate(e Entry, k int) time.Duration {
	perFold := e.FitSeconds / float64(k)
	return time.Duration(perFold * refitFactor * float64(k) / float64(k-1) * float64(time.Second))
}

// refitFactor is a refit's time over one fold's, per training row.
const refitFactor = 1.5

// A cut GBM is continued with the time left when it gets at least
// minContinue and continueFrac of the time it has taken so far.
const (
	minContinue  = 500 * time.Millisecond
	continueFrac = 0.1
)

// continuable is the board's best GBM that was cut at its time cap on
// every fold it could (so more rounds may help), or -1.
func (s *searcher) continuable(board []Entry) int {
	best := -1
	for i, e := range board {
		if e.cand.kind != model.KindGBM || !e.cut || e.cand.fixedTrees || len(e.foldCut) != len(e.foldModels) {
			continue
		}
		if best < 0 || s.cfg.Scorer.Better(e.CVScore, board[best].CVScore) {
			best = i
		}
	}
	return best
}

// continueCut goes on boosting the folds of prev that were cut at its cap,
// each from its last round, sharing capDur; the folds that early-stopped
// are kept. Folds prev did not reach are fitted afresh. With early
// stopping the continued folds are the models uninterrupted fits would
// have made (see gbm.Continue).
func (s *searcher) continueCut(ctx context.Context, prev Entry, fold []int, k int, capDur time.Duration) (Entry, error) {
	t0 := time.Now()
	d := s.data
	c := prev.cand
	e := prev
	e.oof = slices.Clone(prev.oof)
	e.foldModels = slices.Clone(prev.foldModels)
	e.rounds = slices.Clone(prev.rounds)
	e.foldCut = slices.Clone(prev.foldCut)
	e.cut = false
	var todo []int
	for f := range k {
		if f >= len(e.foldCut) || e.foldCut[f] {
			todo = append(todo, f)
		}
	}
	for j, f := range todo {
		train, valid := split(fold, f)
		foldEnd := t0.Add(capDur * time.Duration(j+1) / time.Duration(len(todo)))
		var from *gbm.Model
		if f < len(e.foldModels) {
			from = e.foldModels[f].GBM
		}
		m, rounds, cut, err := s.fitFrom(ctx, c, train, nil, foldEnd, from)
		if err != nil {
			return prev, err
		}
		p, err := m.Predict(subset(d.Cols, valid), d.Categorical, len(valid), d.Task, d.NumClass)
		if err != nil {
			return prev, err
		}
		for i, r := range valid {
			copy(e.oof[r*s.k:(r+1)*s.k], p[i*s.k:(i+1)*s.k])
		}
		if f < len(e.foldModels) {
			e.foldModels[f], e.rounds[f], e.foldCut[f] = m, rounds, cut
		} else {
			e.foldModels, e.rounds, e.foldCut = append(e.foldModels, m), append(e.rounds, rounds), append(e.foldCut, cut)
		}
	}
	e.done = len(e.foldModels)
	for _, cut := range e.foldCut {
		e.cut = e.cut || cut
	}
	e.FitSeconds = prev.FitSeconds + time.Since(t0).Seconds()
	s.score(&e, fold, e.done)
	e.Params = cloneWith(c.display, "n_estimators", fmt.Sprint(refitRounds(e.rounds)))
	return e, nil
}

// roundsList prints rounds per fold as "12/15/11".
func roundsList(r []int) string {
	parts := make([]string, len(r))
	for i, v := range r {
		parts[i] = fmt.Sprint(v)
	}
	return strings.Join(parts, "/")
}

// evaluate cross-validates one candidate. With rescue set, running out of
// time keeps the folds done so far, and a first fold cut short is fitted
// again under rescue.
// capDur is the candidate's time cap: fold f is stopped (GLM, GBM) at
// start + capDur×(f+1)/k and scored as it stands.
func (s *searcher) evaluate(ctx, rescue context.Context, c candidate, fold []int, k int, capDur time.Duration) (Entry, error) {
	t0 := time.Now()
	d := s.data
	e := Entry{Model: c.kind, Params: c.display, cand: c, oof: make([]float64, d.Rows()*s.k)}
	for f := range k {
		train, valid := split(fold, f)
		foldEnd := t0.Add(capDur * time.Duration(f+1) / time.Duration(k))
		m, rounds, cut, err := s.fit(ctx, c, train, nil, foldEnd)
		if err != nil && rescue != nil && rescue.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			if f > 0 {
				break
			}
			m, rounds, err = s.rescueFit(rescue, c, train)
			ctx = expired()
			cut = true
		}
		if err != nil {
			return e, err
		}
		e.cut = e.cut || cut
		e.foldCut = append(e.foldCut, cut)
		cols := subset(d.Cols, valid)
		p, err := m.Predict(cols, d.Categorical, len(valid), d.Task, d.NumClass)
		if err != nil {
			return e, err
		}
		for i, r := range valid {
			copy(e.oof[r*s.k:(r+1)*s.k], p[i*s.k:(i+1)*s.k])
		}
		e.foldModels = append(e.foldModels, m)
		e.rounds = append(e.rounds, rounds)
		e.done++
	}
	if e.done < k {
		s.cfg.Log("warn", fmt.Sprintf("%s: time budget reached; cross-validated on %d of %d folds only", c, e.done, k))
	}
	e.FitSeconds = time.Since(t0).Seconds()
	s.score(&e, fold, e.done)
	if boosted(c.kind) && !c.fixedTrees {
		e.Params = cloneWith(c.display, "n_estimators", fmt.Sprint(refitRounds(e.rounds)))
	}
	return e, nil
}

// rescueFit fits a first fold that ran out of time: a GLM gets a short
// grace and keeps its coefficients so far; anything else fits unbounded.
func (s *searcher) rescueFit(ctx context.Context, c candidate, rows []int) (model.Member, int, error) {
	if c.kind == model.KindGLM {
		grace := time.Duration(refitGrace * float64(s.cfg.Deadline.Sub(s.start)))
		gctx, cancel := context.WithDeadline(ctx, time.Now().Add(grace))
		defer cancel()
		d := s.data
		p := c.glm
		p.Threads = s.cfg.Threads
		g, err := glm.Fit(gctx, subset(d.Cols, c.sample(rows, s.cfg.Seed)), d.Categorical, pick(d.Y, c.sample(rows, s.cfg.Seed)), d.Task, d.NumClass, p)
		if g != nil && ctx.Err() == nil {
			if err != nil {
				s.cfg.Log("warn", fmt.Sprintf("%s: stopped before converging (time budget)", c))
			}
			return model.Member{Kind: c.kind, Weight: 1, Params: c.display, GLM: g}, 0, nil
		}
		if err != nil {
			return model.Member{}, 0, err
		}
	}
	// A tree model keeps its first round (a deadline already passed).
	m, rounds, _, err := s.fit(ctx, c, rows, nil, time.Now())
	return m, rounds, err
}

// expired returns a context whose deadline has passed.
func expired() context.Context {
	ctx, cancel := context.WithDeadline(context.Background(), time.Unix(0, 0))
	cancel()
	return ctx
}

func cloneWith(m map[string]string, k, v string) map[string]string {
	out := make(map[string]string, len(m))
	for a, b := range m {
		out[a] = b
	}
	out[k] = v
	return out
}

func refitRounds(rounds []int) int {
	var s float64
	for _, r := range rounds {
		s += float64(r)
	}
	return max(1, int(math.Round(s/float64(len(rounds))*refitRoundsFactor)))
}

// score fills CVScore, CVStd and Metrics from e.oof.
func (s *searcher) score(e *Entry, fold []int, k int) {
	e.Metrics = map[string]float64{}
	for _, sc := range metric.For(s.data.Task) {
		mean, std := s.foldScores(sc, e.oof, fold, k)
		e.Metrics[sc.Name] = mean
		if sc.Name == s.cfg.Scorer.Name {
			e.CVScore, e.CVStd = mean, std
		}
	}
}

// foldScores is the mean and standard deviation of a scorer over folds.
func (s *searcher) foldScores(sc *metric.Scorer, oof []float64, fold []int, k int) (float64, float64) {
	if len(s.foldRows) != k || len(s.foldRowsOf) != len(fold) || (len(fold) > 0 && &s.foldRowsOf[0] != &fold[0]) {
		// The rows and targets of each fold, kept for the next call (the
		// ensemble scores hundreds of blends on the same folds).
		s.foldRows, s.foldY, s.foldRowsOf = make([][]int, k), make([][]float64, k), fold
		for i, v := range fold {
			if v >= 0 && v < k {
				s.foldRows[v] = append(s.foldRows[v], i)
				s.foldY[v] = append(s.foldY[v], s.data.Y[i])
			}
		}
	}
	scores := make([]float64, 0, k)
	for f := range k {
		rows, y := s.foldRows[f], s.foldY[f]
		p := s.foldP[:0]
		for _, i := range rows {
			p = append(p, oof[i*s.k:(i+1)*s.k]...)
		}
		s.foldP = p
		if v := sc.Score(y, p, s.k); !math.IsNaN(v) {
			scores = append(scores, v)
		}
	}
	if len(scores) == 0 {
		return 0, 0
	}
	var mean, sq float64
	for _, v := range scores {
		mean += v
	}
	mean /= float64(len(scores))
	for _, v := range scores {
		sq += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(sq / float64(max(1, len(scores)-1)))
}

// fit trains candidate c on rows (a sample of them for a candidate with
// maxRows); rounds is the number of boosting rounds kept (0 for GLMs). A
// GBM without fixed trees and without a given round count early-stops on a
// held-out part of rows. With a deadline, GLMs and tree models stop there and
// return the model as it stands, with cut set.
func (s *searcher) fit(ctx context.Context, c candidate, rows []int, fixedRounds *int, deadline time.Time) (m model.Member, rounds int, cut bool, err error) {
	return s.fitFrom(ctx, c, rows, fixedRounds, deadline, nil)
}

// fitFrom is fit; a GBM with from set continues that model (fitted by fit
// on the same rows) instead of starting afresh.
func (s *searcher) fitFrom(ctx context.Context, c candidate, rows []int, fixedRounds *int, deadline time.Time, from *gbm.Model) (m model.Member, rounds int, cut bool, err error) {
	d := s.data
	m = model.Member{Kind: c.kind, Weight: 1, Params: c.display}
	rows = c.sample(rows, s.cfg.Seed)
	switch c.kind {
	case model.KindGLM:
		p := c.glm
		p.Threads = s.cfg.Threads
		key := rowsKey(rows)
		gctx := ctx
		if !deadline.IsZero() {
			var cancel context.CancelFunc
			gctx, cancel = context.WithDeadline(ctx, deadline)
			defer cancel()
		}
		g, err := glm.FitFrom(gctx, subset(d.Cols, rows), d.Categorical, pick(d.Y, rows), d.Task, d.NumClass, p, s.warm[key])
		if err != nil && g != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			cut, err = true, nil
		}
		if err != nil {
			return m, 0, false, err
		}
		if s.warm == nil {
			s.warm = map[string]*glm.Model{}
		}
		s.warm[key] = g
		m.GLM = g
		return m, 0, cut, nil
	case model.KindGBM, model.KindXGB:
		cols, cat := d.Cols, d.Categorical
		if c.te {
			m.Encoded, cols, cat = s.encodeRows(rows)
		}
		p := c.gbm
		p.Deadline = deadline
		fitRows, stopRows := rows, []int(nil)
		switch {
		case fixedRounds != nil:
			p.NumRounds = *fixedRounds
		case !c.fixedTrees:
			fitRows, stopRows = holdout(rows, earlyStopFrac, s.cfg.Seed+int64(len(rows)))
			if len(stopRows) > 0 {
				p.EarlyStoppingRounds = earlyStopRounds
			}
		}
		if c.kind == model.KindXGB {
			m, r, err := s.fitXGB(ctx, m, xgbParams(p), cols, cat, fitRows, stopRows)
			return m, r, err == nil && !deadline.IsZero() && time.Now().After(deadline), err
		}
		train := &gbm.Matrix{Cols: subset(cols, fitRows), Categorical: cat, Rows: len(fitRows)}
		var valid *gbm.Matrix
		var yValid []float32
		if len(stopRows) > 0 {
			valid = &gbm.Matrix{Cols: subset(cols, stopRows), Categorical: cat, Rows: len(stopRows)}
			yValid = pick32(d.Y, stopRows)
		}
		g, err := gbm.Continue(ctx, from, train, pick32(d.Y, fitRows), valid, yValid, p, nil)
		if err != nil {
			return m, 0, false, err
		}
		m.GBM = g
		cut = !deadline.IsZero() && time.Now().After(deadline)
		return m, g.Rounds, cut, nil
	}
	return m, 0, false, usererr.New(usererr.UnknownModel, "unknown model %q", c.kind)
}

// fitXGB trains an XGBoost member on fitRows of cols, early-stopping on
// stopRows when there are any.
func (s *searcher) fitXGB(ctx context.Context, m model.Member, p xgb.Params, cols [][]float32, cat []bool, fitRows, stopRows []int) (model.Member, int, error) {
	d := s.data
	train := &xgb.Matrix{Cols: subset(cols, fitRows), Categorical: cat, Rows: len(fitRows)}
	var valid *xgb.Matrix
	var yValid []float32
	if len(stopRows) > 0 {
		valid = &xgb.Matrix{Cols: subset(cols, stopRows), Categorical: cat, Rows: len(stopRows)}
		yValid = pick32(d.Y, stopRows)
	}
	x, err := xgb.Train(ctx, train, pick32(d.Y, fitRows), valid, yValid, p)
	if err != nil {
		return m, 0, err
	}
	m.XGB = x
	return m, x.Rounds, nil
}

// refit fits the final members on all rows, each stopped at limit. When
// time runs out it falls back to the fold models of the cross-validation,
// averaged.
func (s *searcher) refit(ctx context.Context, board []Entry, final Entry, k int, limit time.Time) ([]model.Member, error) {
	type job struct {
		e      Entry
		weight float64
	}
	var jobs []job
	if final.weights != nil {
		for i, w := range final.weights {
			jobs = append(jobs, job{board[i], w})
		}
		slices.SortFunc(jobs, func(a, b job) int { return int(math.Copysign(1, b.weight-a.weight)) })
	} else {
		jobs = []job{{final, 1}}
	}
	rctx, cancel := context.WithDeadline(ctx, limit)
	defer cancel()
	all := allRows(s.data.Rows())
	var out []model.Member
	for ji, j := range jobs {
		var rounds *int
		if boosted(j.e.cand.kind) && !j.e.cand.fixedTrees {
			r := refitRounds(j.e.rounds)
			rounds = &r
		}
		// The time this refit may plan on: what is left, less the
		// estimates of the refits after it.
		avail := time.Until(limit)
		for _, o := range jobs[ji+1:] {
			avail -= refitEstimate(o.e, k)
		}
		c := j.e.cand
		c.maxRows = s.refitRows(j.e, k, avail)
		m, _, cut, err := s.fit(rctx, c, all, rounds, limit)
		if err == nil && cut {
			err = context.DeadlineExceeded // not refitted in full: use the fold models
		}
		if err == nil {
			m.Weight = j.weight
			m.Params = j.e.Params
			out = append(out, m)
			continue
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			return nil, err
		}
		s.note("warn", fmt.Sprintf("%s: no time to refit on all rows; using its %d fold models averaged", j.e.Model, len(j.e.foldModels)))
		for _, fm := range j.e.foldModels {
			fm.Weight = j.weight / float64(len(j.e.foldModels))
			fm.Params = j.e.Params
			out = append(out, fm)
		}
	}
	return out, nil
}

// refitRows is the sample size of e's refit (0: every row). A candidate
// cross-validated on a sample of each fold (the quick fits on a large
// table) is refitted on as many rows as avail (its share of the time left) allows,
// from its own sample size up to all of them: its cost is taken as
// linear in rows, from the time its folds took, planning to use
// refitRowsMargin of the time left. A refit that still runs out of time falls back to the fold
// models (refit).
func (s *searcher) refitRows(e Entry, k int, avail time.Duration) int {
	c := e.cand
	if c.maxRows <= 0 || e.FitSeconds <= 0 || k < 2 {
		return c.maxRows
	}
	// A fold fitted the sample (less the early-stopping hold-out) for its
	// rounds; the refit fits R rows for refitRoundsFactor times as many.
	perSampleFit := refitRoundsFactor * e.FitSeconds / float64(k)
	rows := float64(c.maxRows) * refitRowsMargin * avail.Seconds() / perSampleFit
	switch {
	case rows >= float64(s.data.Rows()):
		s.note("info", fmt.Sprintf("%s: refitted on all %d rows (cross-validated on samples of %d)", c, s.data.Rows(), c.maxRows))
		return 0
	case rows > float64(c.maxRows):
		s.note("info", fmt.Sprintf("%s: refitted on %d rows, what the time left allows (cross-validated on samples of %d)", c, int(rows), c.maxRows))
		return int(rows)
	}
	return c.maxRows
}

// refitRowsMargin is the share of the time left a sampled refit plans to
// use.
const refitRowsMargin = 0.8

// importance averages the members' normalised feature importances.
func importance(members []model.Member, nf int) []float64 {
	out := make([]float64, nf)
	var wsum float64
	for _, m := range members {
		imp := m.Importance(nf)
		var s float64
		for _, v := range imp {
			s += v
		}
		if s <= 0 || len(imp) != nf {
			continue
		}
		for j, v := range imp {
			out[j] += m.Weight * v / s
		}
		wsum += m.Weight
	}
	if wsum > 0 {
		for j := range out {
			out[j] /= wsum
		}
	}
	return out
}

func subset(cols [][]float32, rows []int) [][]float32 {
	out := make([][]float32, len(cols))
	for j, c := range cols {
		v := make([]float32, len(rows))
		for i, r := range rows {
			v[i] = c[r]
		}
		out[j] = v
	}
	return out
}

func pick(y []float64, rows []int) []float64 {
	out := make([]float64, len(rows))
	for i, r := range rows {
		out[i] = y[r]
	}
	return out
}

func pick32(y []float64, rows []int) []float32 {
	out := make([]float32, len(rows))
	for i, r := range rows {
		out[i] = float32(y[r])
	}
	return out
}
