// Package engine is drover's AutoML library and the one entry point the
// rest of drover uses: TrainFile runs an experiment on a table, Result.Save
// writes its artifacts, PredictFile scores a table with a saved model.
//
// The engine knows nothing of HTTP, queues or processes. It reports
// progress and log lines through a Reporter, and every problem with the
// user's data or parameters is a *UserError with a stable code.
//
// Sub-packages: frame (CSV/Parquet → columns, Inspect), metric (scorers),
// glm and gbm (learners), xgb (XGBoost through its C API, when the library
// is present; see Backends), search (dials, CV, leaderboard, ensemble) and
// model (the artifact).
package engine

import (
	"runtime"
	"time"

	"github.com/drover-ml/drover/internal/engine/search"
	"github.com/drover-ml/drover/internal/engine/spec"
	"github.com/drover-ml/drover/internal/engine/usererr"
)

// UserError is a problem with the user's data or parameters; it is never
// worth retrying. Use errors.As to get it and switch on Code.
type UserError = usererr.Error

// Stable UserError codes.
const (
	CodeEmptyFile          = usererr.EmptyFile
	CodeNoHeader           = usererr.NoHeader
	CodeHeaderOnly         = usererr.HeaderOnly
	CodeRaggedRows         = usererr.RaggedRows
	CodeInvalidUTF8        = usererr.InvalidUTF8
	CodeDuplicateColumn    = usererr.DuplicateColumn
	CodeNotCSV             = usererr.NotCSV
	CodeTargetMissing      = usererr.TargetMissing
	CodeTargetConstant     = usererr.TargetConstant
	CodeTargetAllMissing   = usererr.TargetAllMissing
	CodeTooFewRows         = usererr.TooFewRows
	CodeUnknownTask        = usererr.UnknownTask
	CodeUnknownScorer      = usererr.UnknownScorer
	CodeScorerTaskMismatch = usererr.ScorerTaskMismatch
	CodeDialOutOfRange     = usererr.DialOutOfRange
	CodeSingleRowClass     = usererr.SingleRowClass
	CodeBadParam           = usererr.BadParam
	CodeUnknownModel       = usererr.UnknownModel
	CodeTaskTargetMismatch = usererr.TaskTargetMismatch
	CodeNoFeatures         = usererr.NoFeatures
	CodeBadModel           = usererr.BadModel
	CodeMissingColumns     = usererr.MissingColumns
)

// Tasks.
const (
	TaskAuto       = spec.TaskAuto
	TaskBinary     = spec.TaskBinary
	TaskMulticlass = spec.TaskMulticlass
	TaskRegression = spec.TaskRegression
)

// MinRows is the fewest rows (with a target value) the engine trains on;
// the server checks the same minimum at submit (spec.MinRows).
const MinRows = spec.MinRows

// Options describe one experiment.
type Options struct {
	Target string
	Task   string // auto|binary|multiclass|regression ("" = auto)
	Scorer string // "" = the task's default (AUC, logloss, RMSE)
	// Dials, 1-10; 0 = suggested from the data's shape.
	Accuracy, Time, Interpretability int
	Seed                             int64
	// Models: "glm", "gbm", "xgboost"; empty = every one in Backends().
	Models []string
	Params map[string]string // model parameters, e.g. max_depth, lambda
	// Folds: -1 = from the dials; 0 = no cross-validation, fit the one
	// model (first of Models, default gbm) on all rows; ≥ 2 = K folds.
	Folds      int
	Threads    int           // 0 = all cores
	TimeBudget time.Duration // 0 = from the time dial
	Finish     <-chan struct{}
}

// Backends lists the model families this process can train, for a worker
// to advertise: "glm" and "gbm" always, "xgboost" when libxgboost loads
// (see package xgb). Asking for a model not listed fails the run with a
// plain (not user) error.
func Backends() []string { return search.Available() }

// DefaultSeed is the seed of DefaultOptions.
const DefaultSeed = 42

// DefaultOptions returns auto task, default scorer, suggested dials and
// folds from the dials.
func DefaultOptions() Options {
	return Options{Task: TaskAuto, Folds: -1, Seed: DefaultSeed}
}

func (o Options) threads() int {
	if o.Threads > 0 {
		return o.Threads
	}
	return runtime.NumCPU()
}

// Event types.
const (
	EventProgress = "progress"
	EventLog      = "log"
	// EventPlan opens the search: Plan says what it will score and for how long.
	EventPlan = "plan"
	// EventCandidate reports one candidate as soon as it is scored.
	EventCandidate = "candidate"
)

// Event is a progress, log, plan or candidate report.
type Event struct {
	Type     string  // EventProgress, EventLog, EventPlan or EventCandidate
	Fraction float64 // progress: 0..1
	Level    string  // log: "info" or "warn"
	Message  string
	Plan     *Plan             // plan events
	Entry    *LeaderboardEntry // candidate events: the candidate scored
	// Elapsed, on candidate events, is the time since the run started.
	Elapsed time.Duration
}

// Plan is what a search is about to do.
type Plan struct {
	Task     string
	Scorer   string
	Budget   time.Duration // the whole run's time budget
	Rows     int
	Features int
}

// Reporter receives events; it may be nil.
type Reporter func(Event)

func (r Reporter) log(level, msg string) {
	if r != nil {
		r(Event{Type: EventLog, Level: level, Message: msg})
	}
}

func (r Reporter) progress(f float64, msg string) {
	if r != nil {
		r(Event{Type: EventProgress, Fraction: f, Message: msg})
	}
}
