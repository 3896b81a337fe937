// Package gbm trains gradient-boosted decision trees on tabular data.
//
// The trainer follows the histogram method of XGBoost "hist" and LightGBM:
//
//   - Features are cut into at most 255 value bins (plus one for missing
//     values) at quantiles of the training data (a fixed sample of 65,536
//     rows); validation and prediction data use the same cuts.
//   - Trees grow depth-wise to MaxDepth. Every node's split comes from
//     per-feature gradient histograms; the smaller child's histogram is
//     built from its rows and the larger one's is its parent's minus it.
//   - Gradients are quantised per tree (stochastic rounding, LightGBM's
//     quantised training) and packed with the hessian into one int64, so
//     the hot loop does one integer add per row and feature. Leaf values are
//     then computed from the exact gradient sums.
//   - Missing values go to a default direction learned at every split.
//   - A categorical feature's categories are ordered by smoothed mean
//     gradient and the best prefix of that order becomes the left set.
//   - Histograms are built in parallel over feature blocks and partitions
//     over row chunks; integer sums and stable partitions make the model
//     identical for a seed whatever the number of threads.
//
// Prediction walks complete binary trees stored in heap order, eight rows
// at a time, without data-dependent branches (see dense.go).
package gbm

import (
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Objectives accepted in Params.Objective.
const (
	ObjectiveBinary     = "binary"     // logistic loss; y is 0 or 1
	ObjectiveMulticlass = "multiclass" // softmax; y is a class index in [0, NumClass)
	ObjectiveSquared    = "squared"    // squared error
	ObjectiveHuber      = "huber"      // Huber loss with threshold HuberDelta
)

// Defaults applied by DefaultParams.
const (
	DefaultNumRounds      = 100
	DefaultMaxDepth       = 6
	DefaultLearningRate   = 0.1
	DefaultLambda         = 1.0
	DefaultMinChildWeight = 1.0
	DefaultMaxBins        = 256
	// MaxBinsLimit is the largest MaxBins: bins are stored as bytes, and one
	// byte value per feature is kept for "missing".
	MaxBinsLimit = 256
	// MaxDepthLimit bounds MaxDepth; deeper trees are never useful here and
	// the trainer keeps one histogram per level on a stack.
	MaxDepthLimit = 24
)

// Params configures Train. The zero value is not valid; start from
// DefaultParams.
type Params struct {
	Objective      string  // ObjectiveBinary, ObjectiveMulticlass, ObjectiveSquared or ObjectiveHuber
	NumClass       int     // classes for multiclass (≥ 2); ignored otherwise
	NumRounds      int     // boosting rounds (trees per class)
	MaxDepth       int     // depth of every tree (depth-wise growth)
	LearningRate   float64 // shrinkage applied to every leaf
	Lambda, Alpha  float64 // L2 and L1 regularisation of leaf weights
	MinChildWeight float64 // minimum hessian sum in a child
	Subsample      float64 // fraction of rows sampled per tree, (0, 1]
	ColSample      float64 // fraction of features sampled per tree, (0, 1]
	MaxBins        int     // histogram bins per feature, 2..256 (one is kept for missing values)
	// EarlyStoppingRounds stops training when the validation loss has not
	// improved for this many rounds; 0 disables it. It needs a validation set.
	EarlyStoppingRounds int
	Threads             int   // goroutines; 0 means runtime.GOMAXPROCS(0)
	Seed                int64 // seed of row and column sampling
	// HuberDelta is the threshold of the Huber loss; 0 means automatic: the
	// 90th percentile of the absolute residuals, updated every round (as
	// scikit-learn does), with the loss reported at 1.345 robust standard
	// deviations (MAD) of y.
	HuberDelta float64
	// ScalePosWeight (binary) multiplies the gradient and hessian of the
	// positive rows, as XGBoost's scale_pos_weight: n_neg/n_pos balances the
	// classes. 0 and 1 mean unweighted.
	ScalePosWeight float64
	// Deadline, when not zero, stops training after the first round that
	// ends past it; the model keeps the rounds so far (with early
	// stopping, the best of them). Not a user parameter: the search's time
	// cap per candidate.
	Deadline time.Time
}

// DefaultParams returns the defaults: binary objective, 100 rounds, depth 6,
// learning rate 0.1, lambda 1, alpha 0, min child weight 1, no subsampling,
// 256 bins, all cores.
func DefaultParams() Params {
	return Params{
		Objective:      ObjectiveBinary,
		NumRounds:      DefaultNumRounds,
		MaxDepth:       DefaultMaxDepth,
		LearningRate:   DefaultLearningRate,
		Lambda:         DefaultLambda,
		Alpha:          0,
		MinChildWeight: DefaultMinChildWeight,
		Subsample:      1,
		ColSample:      1,
		MaxBins:        DefaultMaxBins,
	}
}

// ParamError reports a bad parameter: its key (as given to ParseParams, or
// the Params field name), the offending value and why.
type ParamError struct {
	Key   string
	Value string
	Err   error
}

func (e *ParamError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("gbm: parameter %s: %v", e.Key, e.Err)
	}
	return fmt.Sprintf("gbm: parameter %s=%q: %v", e.Key, e.Value, e.Err)
}

func (e *ParamError) Unwrap() error { return e.Err }

// ParseParams applies string key/value pairs (as a user writes them, in
// XGBoost's names) on top of p and validates the result. Accepted keys:
// n_estimators, max_depth, learning_rate, reg_lambda, reg_alpha,
// min_child_weight, subsample, colsample_bytree, max_bin, objective, and
// also num_class, early_stopping_rounds, n_jobs, seed, huber_delta, scale_pos_weight. An
// unknown key or a bad value is a *ParamError naming it.
func ParseParams(p Params, kv map[string]string) (Params, error) {
	for k, v := range kv {
		v = strings.TrimSpace(v)
		var err error
		switch k {
		case "n_estimators":
			p.NumRounds, err = parseInt(v)
		case "max_depth":
			p.MaxDepth, err = parseInt(v)
		case "learning_rate", "eta":
			p.LearningRate, err = parseFloat(v)
		case "reg_lambda", "lambda":
			p.Lambda, err = parseFloat(v)
		case "reg_alpha", "alpha":
			p.Alpha, err = parseFloat(v)
		case "min_child_weight":
			p.MinChildWeight, err = parseFloat(v)
		case "subsample":
			p.Subsample, err = parseFloat(v)
		case "colsample_bytree":
			p.ColSample, err = parseFloat(v)
		case "max_bin":
			p.MaxBins, err = parseInt(v)
		case "objective":
			p.Objective, err = parseObjective(v)
		case "num_class":
			p.NumClass, err = parseInt(v)
		case "early_stopping_rounds":
			p.EarlyStoppingRounds, err = parseInt(v)
		case "n_jobs":
			p.Threads, err = parseInt(v)
		case "seed", "random_state":
			var s int
			s, err = parseInt(v)
			p.Seed = int64(s)
		case "huber_delta":
			p.HuberDelta, err = parseFloat(v)
		case "scale_pos_weight":
			p.ScalePosWeight, err = parseFloat(v)
		default:
			return p, &ParamError{Key: k, Value: v, Err: fmt.Errorf("unknown parameter")}
		}
		if err != nil {
			return p, &ParamError{Key: k, Value: v, Err: err}
		}
	}
	if err := p.Validate(); err != nil {
		return p, err
	}
	return p, nil
}

func parseInt(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("not an integer")
	}
	return n, nil
}

func parseFloat(s string) (float64, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("not a number")
	}
	return f, nil
}

// parseObjective accepts drover's names and the common XGBoost/LightGBM ones.
func parseObjective(s string) (string, error) {
	switch strings.ToLower(s) {
	case ObjectiveBinary, "binary:logistic", "logistic", "logloss":
		return ObjectiveBinary, nil
	case ObjectiveMulticlass, "multi:softprob", "multi:softmax", "softmax":
		return ObjectiveMulticlass, nil
	case ObjectiveSquared, "reg:squarederror", "regression", "l2", "mse":
		return ObjectiveSquared, nil
	case ObjectiveHuber, "reg:pseudohubererror":
		return ObjectiveHuber, nil
	}
	return "", fmt.Errorf("unknown objective (want binary, multiclass, squared or huber)")
}

// Validate checks every field; the error is a *ParamError naming the field.
func (p Params) Validate() error {
	bad := func(key string, v any, msg string) error {
		return &ParamError{Key: key, Value: fmt.Sprint(v), Err: fmt.Errorf("%s", msg)}
	}
	switch p.Objective {
	case ObjectiveBinary, ObjectiveSquared, ObjectiveHuber:
	case ObjectiveMulticlass:
		if p.NumClass < 2 {
			return bad("NumClass", p.NumClass, "multiclass needs at least 2 classes")
		}
	default:
		return bad("Objective", p.Objective, "unknown objective (want binary, multiclass, squared or huber)")
	}
	switch {
	case p.NumRounds < 1:
		return bad("NumRounds", p.NumRounds, "must be at least 1")
	case p.MaxDepth < 1 || p.MaxDepth > MaxDepthLimit:
		return bad("MaxDepth", p.MaxDepth, fmt.Sprintf("must be in [1, %d]", MaxDepthLimit))
	case !(p.LearningRate > 0 && p.LearningRate <= 10):
		return bad("LearningRate", p.LearningRate, "must be in (0, 10]")
	case !(p.Lambda >= 0) || p.Lambda > 1e12:
		return bad("Lambda", p.Lambda, "must be ≥ 0")
	case !(p.Alpha >= 0) || p.Alpha > 1e12:
		return bad("Alpha", p.Alpha, "must be ≥ 0")
	case !(p.MinChildWeight >= 0) || p.MinChildWeight > 1e12:
		return bad("MinChildWeight", p.MinChildWeight, "must be ≥ 0")
	case !(p.Subsample > 0 && p.Subsample <= 1):
		return bad("Subsample", p.Subsample, "must be in (0, 1]")
	case !(p.ColSample > 0 && p.ColSample <= 1):
		return bad("ColSample", p.ColSample, "must be in (0, 1]")
	case p.MaxBins < 2 || p.MaxBins > MaxBinsLimit:
		return bad("MaxBins", p.MaxBins, fmt.Sprintf("must be in [2, %d]", MaxBinsLimit))
	case p.EarlyStoppingRounds < 0:
		return bad("EarlyStoppingRounds", p.EarlyStoppingRounds, "must be ≥ 0")
	case p.Threads < 0:
		return bad("Threads", p.Threads, "must be ≥ 0 (0 means all cores)")
	case !(p.ScalePosWeight >= 0) || p.ScalePosWeight > 1e12:
		return bad("ScalePosWeight", p.ScalePosWeight, "must be ≥ 0 (0 means 1)")
	case !(p.HuberDelta >= 0) || p.HuberDelta > 1e300:
		return bad("HuberDelta", p.HuberDelta, "must be ≥ 0 (0 means automatic)")
	}
	return nil
}

// threads resolves Threads = 0 to the number of usable cores.
func (p Params) threads() int {
	if p.Threads > 0 {
		return p.Threads
	}
	return runtime.GOMAXPROCS(0)
}
