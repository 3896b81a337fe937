package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/drover-ml/drover/internal/engine/frame"
	"github.com/drover-ml/drover/internal/engine/metric"
	"github.com/drover-ml/drover/internal/engine/model"
	"github.com/drover-ml/drover/internal/engine/search"
	"github.com/drover-ml/drover/internal/engine/spec"
)

// Result is a finished experiment.
type Result struct {
	Summary    Summary
	Model      *model.Model
	Importance []Importance // best first
	Plots      Plots
	// Predictions are the best model's out-of-fold predictions (in-sample
	// without CV) for every training row, in input order.
	Predictions *Predictions
}

// Predictions is what Save writes to predictions.csv.
type Predictions struct {
	Source string    // "cv" (out of fold) or "train"
	Task   string    // binary, multiclass or regression
	Levels []string  // target levels (classification)
	Actual []float64 // encoded target: level index, or the value
	Pred   []float64 // k values per row (k = len(Levels), or 1)
	// Threshold (binary): the "predicted" label is the positive class at or
	// above it; 0: the most probable class.
	Threshold float64
}

// Importance is one feature's share of the final model's importance
// (gain for trees, absolute standardised coefficients for GLMs).
type Importance struct {
	Feature string  `json:"feature"`
	Value   float64 `json:"value"`
}

// TrainFile reads the table at path (CSV, or Parquet) and trains on it.
func TrainFile(ctx context.Context, path string, opts Options, report Reporter) (*Result, error) {
	start := time.Now()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	// The path is the caller's business (on a server it is an internal file
	// name): the progress line only says what is happening.
	report.progress(0, "reading the dataset")
	f, err := frame.ReadFile(path, frame.Options{Log: func(m string) { report.log("warn", m) }})
	if err != nil {
		return nil, err
	}
	return train(ctx, f, opts, report, start)
}

// Train trains on a frame already read.
func Train(ctx context.Context, f *frame.Frame, opts Options, report Reporter) (*Result, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	return train(ctx, f, opts, report, time.Now())
}

func train(ctx context.Context, f *frame.Frame, opts Options, report Reporter, start time.Time) (*Result, error) {
	// The same check the server made at submit, now against the table read.
	if err := spec.Check(opts.Spec(), DataOf(f, opts.Target)); err != nil {
		return nil, err
	}
	p, err := prepare(f, &opts, report)
	if err != nil {
		return nil, err
	}
	d := p.data
	scorer := metric.Default(d.Task)
	if opts.Scorer != "" {
		scorer, _ = metric.Get(opts.Scorer)
		if !scorer.AppliesTo(d.Task) {
			return nil, spec.ScorerMismatch(scorer, d.Task)
		}
	}
	dials := search.Dials{Accuracy: opts.Accuracy, Time: opts.Time, Interpretability: opts.Interpretability}.Suggest(d.Rows(), len(d.Cols))
	budget := opts.TimeBudget
	if budget == 0 {
		budget = search.PlanFor(dials).Budget
	}
	report.log("info", fmt.Sprintf("%d rows, %d features, task %s, scorer %s, dials accuracy=%d time=%d interpretability=%d, budget %s",
		d.Rows(), len(d.Cols), d.Task, scorer.Name, dials.Accuracy, dials.Time, dials.Interpretability, budget))
	if report != nil {
		report(Event{Type: EventPlan, Plan: &Plan{Task: d.Task, Scorer: scorer.Name, Budget: budget, Rows: d.Rows(), Features: len(d.Cols)}})
	}
	res, err := search.Run(ctx, d, search.Config{
		Scorer: scorer, Dials: dials, Folds: opts.Folds, Models: opts.Models, Params: opts.Params,
		Seed: opts.Seed, Threads: opts.threads(), Deadline: start.Add(budget), After: afterSearch(budget), Finish: opts.Finish,
		Progress: func(fr float64, msg string) { report.progress(0.02+0.96*fr, msg) },
		Log:      func(level, msg string) { report.log(level, msg) },
		Candidate: func(e search.Entry) {
			if report != nil {
				le := entry(e)
				report(Event{Type: EventCandidate, Entry: &le, Elapsed: time.Since(start)})
			}
		},
	})
	if err != nil {
		return nil, err
	}
	m := &model.Model{
		FormatVersion: model.FormatVersion, Task: d.Task, Target: opts.Target, TargetLevels: p.levels,
		Scorer: scorer.Name, Features: p.features, Members: res.Members,
	}
	out := &Result{Model: m}
	out.Summary = Summary{Task: d.Task, Scorer: scorer.Name, Rows: d.Rows(), Features: len(d.Cols),
		Best: entry(res.Best), Metrics: res.Best.Metrics, Notes: res.Notes}
	for _, e := range res.Leaderboard {
		out.Summary.Leaderboard = append(out.Summary.Leaderboard, entry(e))
	}
	for j, v := range res.Importance {
		out.Importance = append(out.Importance, Importance{Feature: d.Names[j], Value: v})
	}
	sortImportance(out.Importance)
	pred, source := res.OOF, "cv"
	if pred == nil {
		source = "train"
		pred, err = model.Blend(res.Members, d.Cols, d.Categorical, d.Rows(), d.Task, d.NumClass)
		if err != nil {
			return nil, err
		}
		out.Summary.Metrics = map[string]float64{}
		for _, sc := range metric.For(d.Task) {
			out.Summary.Metrics["train_"+sc.Name] = finite(sc.Score(d.Y, pred, model.Outputs(d.Task, d.NumClass)))
		}
	}
	if d.Task == metric.Binary && res.OOF != nil {
		out.Summary.Threshold = thresholdReport(d.Y, res.OOF, p.levels, scorer.Name)
		m.Threshold = out.Summary.Threshold.Used
		if m.Threshold == 0.5 {
			m.Threshold = 0
		}
		report.log("info", fmt.Sprintf("F1-maximising threshold %.4g (out-of-fold F1 %.4f, tp %d fp %d tn %d fn %d); predict uses %.4g",
			out.Summary.Threshold.F1Threshold, out.Summary.Threshold.F1, out.Summary.Threshold.Confusion.TP, out.Summary.Threshold.Confusion.FP,
			out.Summary.Threshold.Confusion.TN, out.Summary.Threshold.Confusion.FN, out.Summary.Threshold.Used))
	}
	out.Plots = makePlots(d, p.levels, pred, source, opts.Seed)
	out.Predictions = &Predictions{Source: source, Task: d.Task, Levels: p.levels, Actual: d.Y, Pred: pred, Threshold: m.Threshold}
	out.Plots.Importance = out.Importance
	var shapNote string
	out.Plots.ShapImportance, shapNote = shapImportance(m, d, opts.Seed, start.Add(budget))
	if shapNote != "" {
		report.log("info", shapNote)
		out.Summary.Notes = append(out.Summary.Notes, shapNote)
	}
	report.progress(1, "done")
	return out, nil
}

// afterSearchShare of the budget is kept out of the search for the work
// that follows it (plots, the threshold, SHAP importance), at least
// afterSearchMin; SHAP importance stops at the budget's end.
const (
	afterSearchShare = 0.04
	afterSearchMin   = 100 * time.Millisecond
)

func afterSearch(budget time.Duration) time.Duration {
	return min(budget/4, max(afterSearchMin, time.Duration(afterSearchShare*float64(budget))))
}

// thresholdReport finds the F1-maximising threshold over out-of-fold
// binary predictions and the one predict will use for the scorer.
func thresholdReport(y, oof []float64, levels []string, scorer string) *Threshold {
	f1 := metric.BestThreshold(y, oof, metric.Confusion.F1)
	t := &Threshold{Positive: levels[len(levels)-1], F1Threshold: f1.Threshold, F1: f1.F1(),
		Confusion: ConfusionMatrix{TP: f1.TP, FP: f1.FP, TN: f1.TN, FN: f1.FN}, Used: 0.5}
	switch scorer {
	case "f1":
		t.Used = f1.Threshold
	case "accuracy":
		t.Used = metric.BestThreshold(y, oof, metric.Confusion.Accuracy).Threshold
	}
	return t
}

func entry(e search.Entry) LeaderboardEntry {
	return LeaderboardEntry{Model: e.Model, Params: e.Params, CVScore: finite(e.CVScore), CVStd: finite(e.CVStd), FitSeconds: e.FitSeconds}
}

// finite maps NaN and ±Inf (which JSON cannot carry) to 0.
func finite(v float64) float64 {
	if v != v || v > 1e308 || v < -1e308 {
		return 0
	}
	return v
}
