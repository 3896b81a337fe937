package xgb

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"strconv"
	"strings"
	"time"
	"unsafe"
)

// Objectives, named as in package gbm.
const (
	ObjectiveBinary     = "binary"     // binary:logistic; y is 0 or 1
	ObjectiveMulticlass = "multiclass" // multi:softprob; y is a class index
	ObjectiveSquared    = "squared"    // reg:squarederror
)

// Params configures Train; the names follow XGBoost's.
type Params struct {
	Objective      string
	NumClass       int // multiclass only
	NumRounds      int // boosting rounds (early stopping may keep fewer)
	MaxDepth       int
	LearningRate   float64 // eta
	Subsample      float64
	ColSample      float64 // colsample_bytree, rounded as in gbm (see colsample)
	Lambda, Alpha  float64
	MinChildWeight float64
	MaxBins        int // max_bin; 0 = XGBoost's default (256)
	// EarlyStoppingRounds stops training when the validation loss has not
	// improved for this many rounds; 0 disables it.
	EarlyStoppingRounds int
	Threads             int // nthread; 0 = all cores
	Seed                int64
	// Deadline, when set, stops training after the first round that ends
	// past it (at least one round is kept): the model is the rounds so
	// far, early stopping's best of them when it is on.
	Deadline time.Time
}

// Validate checks the fields XGBoost would reject late or silently.
func (p Params) Validate() error {
	switch p.Objective {
	case ObjectiveBinary, ObjectiveSquared:
	case ObjectiveMulticlass:
		if p.NumClass < 2 {
			return fmt.Errorf("xgb: multiclass needs at least 2 classes, got %d", p.NumClass)
		}
	default:
		return fmt.Errorf("xgb: unknown objective %q (want binary, multiclass or squared)", p.Objective)
	}
	switch {
	case p.NumRounds < 1:
		return fmt.Errorf("xgb: NumRounds %d: must be at least 1", p.NumRounds)
	case p.MaxDepth < 1:
		return fmt.Errorf("xgb: MaxDepth %d: must be at least 1", p.MaxDepth)
	case !(p.LearningRate > 0):
		return fmt.Errorf("xgb: LearningRate %v: must be > 0", p.LearningRate)
	case !(p.Subsample > 0 && p.Subsample <= 1), !(p.ColSample > 0 && p.ColSample <= 1):
		return fmt.Errorf("xgb: Subsample and ColSample must be in (0, 1]")
	case p.EarlyStoppingRounds < 0, p.Threads < 0, p.MaxBins < 0:
		return fmt.Errorf("xgb: EarlyStoppingRounds, Threads and MaxBins must be ≥ 0")
	}
	return nil
}

// colsample returns the colsample_bytree that makes XGBoost, which keeps
// int(nf × colsample) features per tree, keep round(nf × c) of nf (at least
// one), as package gbm does: with 2 features and c = 0.8 XGBoost would keep
// one feature per tree and could not learn an interaction.
func colsample(c float64, nf int) float64 {
	if c >= 1 || nf <= 0 {
		return c
	}
	k := max(1, int(float64(nf)*c+0.5))
	if k >= nf {
		return 1
	}
	return (float64(k) + 1e-6) / float64(nf)
}

// settings are the booster parameters for p and nf features, in the order
// they are set.
func (p Params) settings(nf int) [][2]string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	objective, metric := "binary:logistic", "logloss"
	switch p.Objective {
	case ObjectiveMulticlass:
		objective, metric = "multi:softprob", "mlogloss"
	case ObjectiveSquared:
		objective, metric = "reg:squarederror", "rmse"
	}
	s := [][2]string{
		{"verbosity", "0"},
		{"tree_method", "hist"},
		{"objective", objective},
		{"eval_metric", metric},
		{"max_depth", strconv.Itoa(p.MaxDepth)},
		{"eta", f(p.LearningRate)},
		{"subsample", f(p.Subsample)},
		{"colsample_bytree", f(colsample(p.ColSample, nf))},
		{"lambda", f(p.Lambda)},
		{"alpha", f(p.Alpha)},
		{"min_child_weight", f(p.MinChildWeight)},
		{"seed", strconv.FormatInt(p.Seed, 10)},
	}
	if p.Threads > 0 {
		s = append(s, [2]string{"nthread", strconv.Itoa(p.Threads)})
	}
	if p.MaxBins > 0 {
		s = append(s, [2]string{"max_bin", strconv.Itoa(p.MaxBins)})
	}
	if p.Objective == ObjectiveMulticlass {
		s = append(s, [2]string{"num_class", strconv.Itoa(p.NumClass)})
	}
	return s
}

// Train fits a booster on train and y. With valid set and
// EarlyStoppingRounds > 0, the validation loss (log loss or RMSE) is
// computed after every round and training stops once it has not improved
// for that many rounds; the model keeps the best rounds only. Train returns
// ctx.Err() soon after ctx is done (between rounds).
func Train(ctx context.Context, train *Matrix, y []float32, valid *Matrix, yValid []float32, p Params) (*Model, error) {
	l, err := load()
	if err != nil {
		return nil, err
	}
	// XGBGetLastError and the buffers the C API returns are per OS thread.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if err := train.check("training", 0); err != nil {
		return nil, err
	}
	if len(y) != train.Rows || train.Rows == 0 {
		return nil, fmt.Errorf("xgb: %d labels for %d rows", len(y), train.Rows)
	}
	nf := len(train.Cols)
	if valid != nil {
		if err := valid.check("validation", nf); err != nil {
			return nil, err
		}
		if len(yValid) != valid.Rows || valid.Rows == 0 {
			return nil, fmt.Errorf("xgb: %d validation labels for %d rows", len(yValid), valid.Rows)
		}
	}
	dtrain, err := l.dmatrix(train, y)
	if err != nil {
		return nil, err
	}
	defer l.dmatrixFree(dtrain)
	dmats := []uintptr{dtrain}
	var dvalid uintptr
	if valid != nil {
		if dvalid, err = l.dmatrix(valid, yValid); err != nil {
			return nil, err
		}
		defer l.dmatrixFree(dvalid)
		dmats = append(dmats, dvalid) // cached: predictions on it are incremental
	}
	var b uintptr
	if err := l.call("XGBoosterCreate", l.boosterCreate(unsafe.Pointer(&dmats[0]), uint64(len(dmats)), &b)); err != nil {
		return nil, err
	}
	runtime.KeepAlive(dmats)
	defer l.boosterFree(b)
	for _, kv := range p.settings(nf) {
		if err := l.call("XGBoosterSetParam "+kv[0], l.boosterSetParam(b, kv[0], kv[1])); err != nil {
			return nil, err
		}
	}
	m := &Model{Objective: p.Objective, NumClass: p.NumClass, NumFeatures: nf, Categorical: train.Categorical}
	if p.Objective != ObjectiveMulticlass {
		m.NumClass = 0
	}
	best, bestLoss := 0, math.Inf(1)
	rounds := 0
	for it := range p.NumRounds {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := l.call("XGBoosterUpdateOneIter", l.boosterUpdateOne(b, int32(it), dtrain)); err != nil {
			return nil, err
		}
		rounds = it + 1
		if valid != nil {
			pred, err := l.predict(b, dvalid, valid.Rows*m.Outputs())
			if err != nil {
				return nil, err
			}
			if loss := validLoss(p.Objective, pred, yValid, m.Outputs()); loss < bestLoss {
				best, bestLoss = rounds, loss
			} else if p.EarlyStoppingRounds > 0 && rounds-best >= p.EarlyStoppingRounds {
				break
			}
		}
		if !p.Deadline.IsZero() && time.Now().After(p.Deadline) {
			break
		}
	}
	keep := b
	if valid != nil && p.EarlyStoppingRounds > 0 && best > 0 && best < rounds {
		var sliced uintptr
		if err := l.call("XGBoosterSlice", l.boosterSlice(b, 0, int32(best), 1, &sliced)); err != nil {
			return nil, err
		}
		defer l.boosterFree(sliced)
		keep, rounds = sliced, best
	}
	if valid != nil {
		m.BestRound, m.BestValidLoss = best, bestLoss
	}
	m.Rounds = rounds
	if m.Importance, err = l.importance(keep, nf); err != nil {
		return nil, err
	}
	if m.Booster, err = l.save(keep); err != nil {
		return nil, err
	}
	return m, nil
}

// importance is the total gain of the splits on each of nf features.
func (l *lib) importance(b uintptr, nf int) ([]float64, error) {
	var n, dim uint64
	var names, shape unsafe.Pointer
	var scores *float32
	cfg := `{"importance_type": "total_gain", "feature_map": ""}`
	if err := l.call("XGBoosterFeatureScore", l.boosterFeatureScore(b, cfg, &n, &names, &dim, &shape, &scores)); err != nil {
		return nil, err
	}
	out := make([]float64, nf)
	if n == 0 || names == nil || scores == nil {
		return out, nil // no split at all
	}
	if dim != 1 {
		return nil, fmt.Errorf("xgb: XGBoosterFeatureScore returned %d dimensions, want 1", dim)
	}
	vals := unsafe.Slice(scores, n)
	for i, p := range unsafe.Slice((**byte)(names), n) {
		// Features without names are called f0, f1, ...
		j, err := strconv.Atoi(strings.TrimPrefix(cString(p), "f"))
		if err != nil || j < 0 || j >= nf {
			return nil, fmt.Errorf("xgb: XGBoosterFeatureScore: unexpected feature %q", cString(p))
		}
		out[j] = float64(vals[i])
	}
	return out, nil
}

// cString copies a NUL-terminated C string.
func cString(p *byte) string {
	if p == nil {
		return ""
	}
	var b []byte
	for q := unsafe.Pointer(p); *(*byte)(q) != 0; q = unsafe.Add(q, 1) {
		b = append(b, *(*byte)(q))
	}
	return string(b)
}

// predict returns a copy of the booster's predictions on dmat (want values).
func (l *lib) predict(b, dmat uintptr, want int) ([]float32, error) {
	return l.predictMask(b, dmat, 0, want)
}

// Option masks of XGBoosterPredict.
const (
	predictMargin   = 1 // raw scores
	predictContribs = 4 // SHAP contributions (TreeSHAP), bias last
)

// predictMask is predict with XGBoost's option mask.
func (l *lib) predictMask(b, dmat uintptr, mask int32, want int) ([]float32, error) {
	var n uint64
	var out *float32
	if err := l.call("XGBoosterPredict", l.boosterPredict(b, dmat, mask, 0, 0, &n, &out)); err != nil {
		return nil, err
	}
	if int(n) != want || (n > 0 && out == nil) {
		return nil, fmt.Errorf("xgb: XGBoosterPredict returned %d values, want %d", n, want)
	}
	if n == 0 {
		return nil, nil
	}
	return append([]float32(nil), unsafe.Slice(out, n)...), nil
}

// save serialises the booster as XGBoost JSON.
func (l *lib) save(b uintptr) ([]byte, error) {
	var n uint64
	var out *byte
	if err := l.call("XGBoosterSaveModelToBuffer", l.boosterSaveToBuf(b, `{"format": "json"}`, &n, &out)); err != nil {
		return nil, err
	}
	if n == 0 || out == nil {
		return nil, fmt.Errorf("xgb: XGBoosterSaveModelToBuffer returned an empty model")
	}
	return append([]byte(nil), unsafe.Slice(out, n)...), nil
}

// validLoss is the mean log loss (classification) or RMSE (regression).
func validLoss(objective string, pred, y []float32, k int) float64 {
	const eps = 1e-15
	var s float64
	switch objective {
	case ObjectiveBinary:
		for i, p := range pred {
			q := min(max(float64(p), eps), 1-eps)
			if y[i] > 0.5 {
				s -= math.Log(q)
			} else {
				s -= math.Log(1 - q)
			}
		}
		return s / float64(len(y))
	case ObjectiveMulticlass:
		for i, c := range y {
			s -= math.Log(min(max(float64(pred[i*k+int(c)]), eps), 1))
		}
		return s / float64(len(y))
	}
	for i, p := range pred {
		d := float64(p) - float64(y[i])
		s += d * d
	}
	return math.Sqrt(s / float64(len(y)))
}
