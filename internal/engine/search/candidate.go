package search

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/drover-ml/drover/internal/engine/gbm"
	"github.com/drover-ml/drover/internal/engine/glm"
	"github.com/drover-ml/drover/internal/engine/model"
	"github.com/drover-ml/drover/internal/engine/targetenc"
	"github.com/drover-ml/drover/internal/engine/usererr"
	"github.com/drover-ml/drover/internal/engine/xgb"
)

// Model names users may ask for. "xgboost" needs libxgboost on the
// machine that trains (see Available).
var ModelNames = []string{model.KindGLM, model.KindGBM, model.KindXGB}

// Available lists the model families this process can train: glm and gbm
// always, xgboost when libxgboost loads.
func Available() []string {
	if _, ok := xgb.Available(); ok {
		return []string{model.KindGLM, model.KindGBM, model.KindXGB}
	}
	return []string{model.KindGLM, model.KindGBM}
}

// checkAvailable fails when a model asked for cannot be trained here. The
// error is not a UserError: another machine may have the library.
func checkAvailable(models []string) error {
	if slices.Contains(models, model.KindXGB) {
		if _, ok := xgb.Available(); !ok {
			return fmt.Errorf("search: model xgboost asked for but not available on this machine: %w", xgb.LoadError())
		}
	}
	return nil
}

// glmKeys are the parameters that go to GLMs; every other key goes to GBMs.
var glmKeys = []string{"lambda", "alpha", "max_iter", "max_levels", "min_level_count", "class_weight", "solver"}

// Early stopping: rounds without improvement, and the share of each
// training fold held out to watch.
const (
	earlyStopRounds = 50
	earlyStopFrac   = 0.15
	// refitRoundsFactor scales the mean best round of the folds for the
	// refit on all rows, which has more data than any fold.
	refitRoundsFactor = 1.1
)

// Quick fits train on a sample when rows × features × outputs exceeds
// quickCells: quickCells/(features × outputs) rows, at least quickMinRows.
const (
	quickCells   = 4_000_000
	quickMinRows = 5_000
	// quickGBMRate is the quick GBM's learning rate: high, so that a few
	// rounds (all a short budget or a many-class table affords) already
	// give a fair model; early stopping guards against overfitting.
	quickGBMRate = 0.3
)

// imbalanced is the minority share under which a binary target gets
// class-weighted candidates.
const imbalanced = 0.10

// minorityShare is the share of the rarer class of a 0/1 target.
func minorityShare(y []float64) float64 {
	var pos float64
	for _, v := range y {
		pos += v
	}
	if len(y) == 0 {
		return 0
	}
	return min(pos, float64(len(y))-pos) / float64(len(y))
}

// posWeight is n_neg/n_pos of a 0/1 target (0 without both classes): the
// weight that balances the positives when they are the minority, and
// down-weights them when they are the majority.
func posWeight(y []float64) float64 {
	var pos float64
	for _, v := range y {
		pos += v
	}
	if pos == 0 || pos == float64(len(y)) {
		return 0
	}
	return (float64(len(y)) - pos) / pos
}

// candidate is one model configuration to cross-validate.
type candidate struct {
	kind       string
	glm        glm.Params
	gbm        gbm.Params // gbm, and xgboost's settings in gbm's terms
	fixedTrees bool       // the user fixed n_estimators: no early stopping
	display    map[string]string
	// quick marks the first, cheap fit of a family, which always runs
	// (cut at its time cap when need be).
	quick bool
	// maxRows > 0 trains on a seeded sample of at most that many of the
	// rows given (the quick fits on large tables).
	maxRows int
	// te gives a tree model the target encodings of the searcher's
	// teFeatures as extra inputs; teProbe marks the quick GBM's copy with
	// them, whose score against the quick GBM decides whether the later
	// tree candidates get them too (see judgeTE).
	te, teProbe bool
}

// withTE is c with target-encoded inputs.
func (c candidate) withTE() candidate {
	c.te = true
	c.display = cloneWith(c.display, "target_encoding", "oof")
	return c
}

// Target encoding for trees: a categorical with more levels than the
// GLM's default max_levels (past which the GLM encodes it too) may reach
// the trees as its out-of-fold target encoding, next to its own codes
// (which a tree splits on natively, by their top maxBins-1 levels only).
// The encodings add at most teMaxColumns inputs (a multiclass target adds
// one per class).
const teMaxColumns = 64

// teFeatures lists the categoricals of d that trees may get target
// encoded, in order, within teMaxColumns (k values each).
func teFeatures(d *Data) []int {
	w := targetenc.Width(d.NumClass) // NumClass is 1 for regression
	levels := glm.DefaultParams().MaxLevels
	var out []int
	for j, c := range d.Cols {
		if d.Categorical[j] && (len(out)+1)*w <= teMaxColumns && targetenc.HighCardinality(c, levels) {
			out = append(out, j)
		}
	}
	return out
}

// encodeRows fits the target encodings of s.teFeatures on rows: it
// returns them and the inputs of a tree fit, d's columns followed by the
// encoded ones (full length; only rows are filled, with their
// out-of-fold values, so no row's label reaches its own input).
func (s *searcher) encodeRows(rows []int) ([]model.Encoded, [][]float32, []bool) {
	d := s.data
	y := pick(d.Y, rows)
	cols, cat := slices.Clip(d.Cols), slices.Clip(d.Categorical)
	var enc []model.Encoded
	n := d.Rows()
	for _, j := range s.teFeatures {
		src := make([]float32, len(rows))
		for i, r := range rows {
			src[i] = d.Cols[j][r]
		}
		t, oof := targetenc.Fit(src, y, d.NumClass)
		w := len(t.Prior)
		full := make([]float32, n*w)
		for o := range w {
			c := full[o*n : (o+1)*n]
			for i, r := range rows {
				c[r] = float32(oof[i*w+o])
			}
			cols, cat = append(cols, c), append(cat, false)
		}
		enc = append(enc, model.Encoded{Feature: j, Table: t})
	}
	return enc, cols, cat
}

// judgeTE compares the target-encoding probe with the quick GBM it copies
// and sets s.teTrees when the probe scores better.
func (s *searcher) judgeTE(board []Entry, probe Entry) {
	plain := slices.IndexFunc(board, func(e Entry) bool { return e.cand.quick && e.cand.kind == model.KindGBM })
	if plain < 0 {
		return
	}
	s.teTrees = s.cfg.Scorer.Better(probe.CVScore, board[plain].CVScore)
	names := make([]string, len(s.teFeatures))
	for i, j := range s.teFeatures {
		names[i] = strconv.Quote(s.data.Names[j])
	}
	verdict := "it helps: the next tree candidates get it too"
	if !s.teTrees {
		verdict = "it does not help: the next tree candidates go without"
	}
	s.note("info", fmt.Sprintf("target encoding of %s for trees: cv %s %.5g with it, %.5g without; %s",
		strings.Join(names, ", "), s.cfg.Scorer.Name, probe.CVScore, board[plain].CVScore, verdict))
}

// sample returns rows, or a seeded sample of maxRows of them (in order).
func (c candidate) sample(rows []int, seed int64) []int {
	if c.maxRows <= 0 || len(rows) <= c.maxRows {
		return rows
	}
	_, keep := holdout(rows, float64(c.maxRows)/float64(len(rows)), seed+int64(len(rows))*7)
	return keep
}

// Search parameters, which go to no model: target_encoding is "auto"
// (the default: tree models get target-encoded high-cardinality
// categoricals when the probe finds it helps CV), "on" (every tree
// candidate gets them, no probe) or "off" (none does).
const (
	ParamTargetEncoding = "target_encoding"
	teAuto, teOn, teOff = "auto", "on", "off"
)

// ParseParams splits user parameters by model kind and validates them;
// search parameters (target_encoding) are checked and left out of both.
func ParseParams(kv map[string]string) (glmKV, gbmKV map[string]string, err error) {
	glmKV, gbmKV = map[string]string{}, map[string]string{}
	for k, v := range kv {
		if k == ParamTargetEncoding {
			if v != teAuto && v != teOn && v != teOff {
				return nil, nil, usererr.New(usererr.BadParam, "%s is %q: use auto, on or off", k, v)
			}
			continue
		}
		if slices.Contains(glmKeys, k) {
			glmKV[k] = v
		} else {
			gbmKV[k] = v
		}
	}
	if _, err := glm.ParseParams(glm.DefaultParams(), glmKV); err != nil {
		return nil, nil, usererr.New(usererr.BadParam, "%v", err)
	}
	if _, err := gbm.ParseParams(gbm.DefaultParams(), gbmKV); err != nil {
		return nil, nil, usererr.New(usererr.BadParam, "%v", err)
	}
	return glmKV, gbmKV, nil
}

func glmCandidate(p glm.Params) candidate {
	return candidate{kind: model.KindGLM, glm: p, display: map[string]string{
		"lambda": fmtF(p.Lambda), "alpha": fmtF(p.Alpha),
	}}
}

func gbmCandidate(p gbm.Params, fixed bool) candidate {
	return candidate{kind: model.KindGBM, gbm: p, fixedTrees: fixed, display: map[string]string{
		"n_estimators":     strconv.Itoa(p.NumRounds),
		"max_depth":        strconv.Itoa(p.MaxDepth),
		"learning_rate":    fmtF(p.LearningRate),
		"subsample":        fmtF(p.Subsample),
		"colsample_bytree": fmtF(p.ColSample),
		"min_child_weight": fmtF(p.MinChildWeight),
		"reg_lambda":       fmtF(p.Lambda),
	}}
}

// xgbCandidate is an XGBoost candidate; its settings are p's (the same
// user-facing names as gbm).
func xgbCandidate(p gbm.Params, fixed bool) candidate {
	c := gbmCandidate(p, fixed)
	c.kind = model.KindXGB
	return c
}

// xgbParams maps gbm settings onto XGBoost's.
func xgbParams(p gbm.Params) xgb.Params {
	obj := xgb.ObjectiveSquared
	switch p.Objective {
	case gbm.ObjectiveBinary:
		obj = xgb.ObjectiveBinary
	case gbm.ObjectiveMulticlass:
		obj = xgb.ObjectiveMulticlass
	}
	return xgb.Params{Objective: obj, NumClass: p.NumClass, NumRounds: p.NumRounds, MaxDepth: p.MaxDepth,
		LearningRate: p.LearningRate, Subsample: p.Subsample, ColSample: p.ColSample, Lambda: p.Lambda,
		Alpha: p.Alpha, MinChildWeight: p.MinChildWeight, MaxBins: p.MaxBins,
		EarlyStoppingRounds: p.EarlyStoppingRounds, Threads: p.Threads, Seed: p.Seed, Deadline: p.Deadline}
}

// boosted reports whether a kind is a boosted ensemble whose rounds early
// stopping picks.
func boosted(kind string) bool { return kind == model.KindGBM || kind == model.KindXGB }

func fmtF(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// glmLambdas are tried in this order (strongest prior first).
var glmLambdas = []float64{1e-3, 1e-4, 1e-2, 5e-2}

// gbmGrid is tried in this order: the first points are the safest bets.
var gbmGrid = []struct {
	depth        int
	lr, sub, col float64
	mcw, lambda  float64
}{
	{6, 0.05, 0.8, 0.8, 1, 1},
	{3, 0.05, 0.8, 0.8, 1, 1},
	{8, 0.05, 0.8, 0.6, 5, 5},
	{4, 0.1, 1, 1, 1, 1},
	{2, 0.1, 1, 0.8, 1, 1},
	{10, 0.03, 0.7, 0.5, 10, 10},
	{5, 0.02, 0.8, 0.5, 3, 3},
	{6, 0.1, 1, 1, 1, 0},
}

// xgbGrid is tried in this order; one point per two of the plan's GBM
// grid points (at least one).
var xgbGrid = []struct {
	depth        int
	lr, sub, col float64
	mcw, lambda  float64
}{
	{6, 0.1, 0.8, 0.8, 1, 1},
	{3, 0.1, 0.8, 0.8, 1, 1},
	{8, 0.05, 0.8, 0.6, 5, 5},
	{4, 0.05, 1, 0.8, 1, 1},
}

// candidates lists what the plan asks for, given the models and user
// parameters allowed.
func (s *searcher) candidates(plan Plan) ([]candidate, error) {
	models := s.cfg.Models
	if len(models) == 0 {
		models = Available()
	}
	if err := checkAvailable(models); err != nil {
		return nil, err
	}
	glmKV, gbmKV, err := ParseParams(s.cfg.Params)
	if err != nil {
		return nil, err
	}
	useGLM, useGBM := slices.Contains(models, model.KindGLM), slices.Contains(models, model.KindGBM) && plan.GBMs > 0
	useXGB := slices.Contains(models, model.KindXGB) && plan.GBMs > 0
	if !useGLM && !useGBM && !useXGB {
		useGLM = true // interpretability ≥ 8 with only trees asked: fall back to a GLM
	}
	var glms, gbms, xgbs []candidate
	if useGLM {
		if len(glmKV) > 0 {
			p, _ := glm.ParseParams(glm.DefaultParams(), glmKV)
			glms = append(glms, glmCandidate(p))
		} else {
			for _, l := range glmLambdas[:max(1, min(plan.GLMs, len(glmLambdas)))] {
				p := glm.DefaultParams()
				p.Lambda = l
				glms = append(glms, glmCandidate(p))
			}
		}
	}
	if useGBM {
		if len(gbmKV) > 0 {
			gbms = append(gbms, gbmCandidate(s.fixedTrees(gbmKV, plan)))
		} else {
			for _, g := range gbmGrid[:min(plan.GBMs, len(gbmGrid))] {
				p := s.baseGBM()
				p.MaxDepth = min(g.depth, plan.MaxDepth)
				p.LearningRate, p.Subsample, p.ColSample = g.lr, g.sub, g.col
				// Heavy leaf constraints starve small tables: cap them by size.
				p.MinChildWeight, p.Lambda = min(g.mcw, max(1, float64(s.data.Rows())/100)), g.lambda
				p.NumRounds = plan.MaxRounds
				gbms = append(gbms, gbmCandidate(p, false))
			}
		}
	}
	if useXGB {
		if len(gbmKV) > 0 {
			xgbs = append(xgbs, xgbCandidate(s.fixedTrees(gbmKV, plan)))
		} else {
			for _, g := range xgbGrid[:min((plan.GBMs+1)/2, len(xgbGrid))] {
				p := s.baseGBM()
				p.MaxDepth = min(g.depth, plan.MaxDepth)
				p.LearningRate, p.Subsample, p.ColSample = g.lr, g.sub, g.col
				p.MinChildWeight, p.Lambda = min(g.mcw, max(1, float64(s.data.Rows())/100)), g.lambda
				p.NumRounds = plan.MaxRounds
				xgbs = append(xgbs, xgbCandidate(p, false))
			}
		}
	}
	// The first fit of each family is cheap: a GLM, then a GBM that learns
	// fast and stops early, both on a sample of a large table.
	quickRows := 0
	if cells := s.data.Rows() * max(1, len(s.data.Cols)) * s.k; cells > quickCells {
		quickRows = max(quickMinRows, quickCells/(max(1, len(s.data.Cols))*s.k))
	}
	if quickRows >= s.data.Rows() {
		quickRows = 0
	}
	var out []candidate
	if len(glms) > 0 {
		glms[0].quick, glms[0].maxRows = true, quickRows
		out = append(out, glms[0])
		glms = glms[1:]
	}
	if useGBM && len(gbmKV) == 0 {
		p := s.baseGBM()
		p.MaxDepth = min(5, plan.MaxDepth)
		p.LearningRate, p.Subsample, p.ColSample = quickGBMRate, 0.8, 0.8
		p.MinChildWeight, p.Lambda = 1, 1
		p.NumRounds = min(500, plan.MaxRounds)
		q := gbmCandidate(p, false)
		q.quick, q.maxRows = true, quickRows
		if quickRows > 0 {
			q.display["sample_rows"] = strconv.Itoa(quickRows)
		}
		out = append(out, q)
		if len(s.teFeatures) > 0 && s.teMode() == teAuto {
			probe := q.withTE()
			probe.quick, probe.teProbe = false, true
			out = append(out, probe)
		}
	} else if len(gbms) > 0 {
		gbms[0].quick = true
		out = append(out, gbms[0])
		gbms = gbms[1:]
	}
	if len(out) > 0 && out[0].kind == model.KindGLM && quickRows > 0 {
		out[0].display = cloneWith(out[0].display, "sample_rows", strconv.Itoa(quickRows))
	}
	// An imbalanced binary target (minority under 10 %) gets a GLM with
	// balanced class weights next.
	if useGLM && len(glmKV) == 0 && s.data.Task == "binary" && minorityShare(s.data.Y) < imbalanced {
		p := glm.DefaultParams()
		p.ClassWeight = "balanced"
		c := glmCandidate(p)
		c.display["class_weight"] = "balanced"
		glms = append([]candidate{c}, glms...)
	}
	// And a GBM whose positives weigh n_neg/n_pos (scale_pos_weight), on
	// the quick fits' sample of a large table.
	if useGBM && len(gbmKV) == 0 && s.data.Task == "binary" && minorityShare(s.data.Y) < imbalanced {
		if w := posWeight(s.data.Y); w > 0 {
			p := s.baseGBM()
			p.MaxDepth = min(5, plan.MaxDepth)
			p.LearningRate, p.Subsample, p.ColSample = 0.1, 0.8, 0.8
			p.MinChildWeight, p.Lambda = 1, 1
			p.NumRounds = min(1000, plan.MaxRounds)
			p.ScalePosWeight = w
			c := gbmCandidate(p, false)
			c.display["scale_pos_weight"] = fmtF(math.Round(w*1000) / 1000)
			c.maxRows = quickRows
			if quickRows > 0 {
				c.display["sample_rows"] = strconv.Itoa(quickRows)
			}
			gbms = append([]candidate{c}, gbms...)
		}
	}
	// Then alternate the families.
	for i := 0; i < max(len(glms), len(gbms), len(xgbs)); i++ {
		for _, list := range [][]candidate{glms, gbms, xgbs} {
			if i < len(list) {
				out = append(out, list[i])
			}
		}
	}
	if s.teMode() == teOn && len(s.teFeatures) > 0 {
		for i := range out {
			if boosted(out[i].kind) {
				out[i] = out[i].withTE()
			}
		}
	}
	return dedupeCandidates(out), nil
}

// teMode is the target_encoding parameter (auto when not given).
func (s *searcher) teMode() string {
	if v := s.cfg.Params[ParamTargetEncoding]; v != "" {
		return v
	}
	return teAuto
}

func dedupeCandidates(cs []candidate) []candidate {
	var out []candidate
	for _, c := range cs {
		if !slices.ContainsFunc(out, func(o candidate) bool { return o.kind == c.kind && maps.Equal(o.display, c.display) }) {
			out = append(out, c)
		}
	}
	return out
}

// baseGBM is gbm's defaults with the task's objective, threads and seed.
// fixedTrees is the one tree model a user fixed with --params (gbm or
// xgboost alike): the plan's rounds unless n_estimators is given (then no
// early stopping), and no deeper than the plan allows.
func (s *searcher) fixedTrees(kv map[string]string, plan Plan) (gbm.Params, bool) {
	p, _ := gbm.ParseParams(s.baseGBM(), kv)
	_, fixed := kv["n_estimators"]
	if !fixed {
		p.NumRounds = plan.MaxRounds
	}
	p.MaxDepth = min(p.MaxDepth, max(plan.MaxDepth, 1))
	return p, fixed
}

func (s *searcher) baseGBM() gbm.Params {
	p := gbm.DefaultParams()
	switch s.data.Task {
	case "binary":
		p.Objective = gbm.ObjectiveBinary
	case "multiclass":
		p.Objective = gbm.ObjectiveMulticlass
		p.NumClass = s.data.NumClass
	default:
		p.Objective = gbm.ObjectiveSquared
	}
	p.Threads = s.cfg.Threads
	p.Seed = s.cfg.Seed
	return p
}

// single is the one candidate fitted when cross-validation is off.
func (s *searcher) single() (candidate, error) {
	kind := model.KindGBM
	if len(s.cfg.Models) > 0 {
		kind = s.cfg.Models[0]
	}
	if err := checkAvailable([]string{kind}); err != nil {
		return candidate{}, err
	}
	glmKV, gbmKV, err := ParseParams(s.cfg.Params)
	if err != nil {
		return candidate{}, err
	}
	if kind == model.KindGLM {
		p, _ := glm.ParseParams(glm.DefaultParams(), glmKV)
		return glmCandidate(p), nil
	}
	p, _ := gbm.ParseParams(s.baseGBM(), gbmKV)
	if kind == model.KindXGB {
		return xgbCandidate(p, true), nil
	}
	return gbmCandidate(p, true), nil
}

func (c candidate) String() string {
	keys := slices.Sorted(maps.Keys(c.display))
	s := c.kind
	for _, k := range keys {
		s += fmt.Sprintf(" %s=%s", k, c.display[k])
	}
	return s
}
