package cli

import (
	"fmt"
	"github.com/drover-ml/drover/internal/protocol"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/drover-ml/drover/api"
	"github.com/drover-ml/drover/internal/engine"
	"github.com/drover-ml/drover/internal/runner"
)

// specFlags are the experiment knobs shared by train and experiment create.
type specFlags struct {
	target, task, scorer   string
	accuracy, time, interp int
	seed                   int64
	models                 []string
	params                 string
	folds                  int
	threads                int
}

func (f *specFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.target, "target", "", "column to predict")
	fl.StringVar(&f.task, "task", "auto", "auto, binary, multiclass or regression")
	fl.StringVar(&f.scorer, "scorer", "", "scorer to optimise (default: AUC for binary, logloss for multiclass, RMSE for regression)")
	fl.IntVar(&f.accuracy, "accuracy", 0, "accuracy dial 1-10 (0 = suggested from the data)")
	fl.IntVar(&f.time, "time", 0, "time dial 1-10 (0 = suggested from the data)")
	fl.IntVar(&f.interp, "interpretability", 0, "interpretability dial 1-10 (0 = suggested from the data)")
	fl.Int64Var(&f.seed, "seed", 0, "random seed")
	fl.StringSliceVar(&f.models, "models", nil, "model families to try: glm, gbm, xgboost (default: every one this machine has; xgboost needs Debian's libxgboost0)")
	fl.StringVar(&f.params, "params", "", "fixed parameters, e.g. n_estimators=200,max_depth=6,learning_rate=0.1")
	fl.IntVar(&f.folds, "folds", -1, "cross-validation folds (-1 = from the dials, 0 = fit one model on all rows)")
}

func (f *specFlags) check() error {
	for name, v := range map[string]int{"--accuracy": f.accuracy, "--time": f.time, "--interpretability": f.interp} {
		if v < 0 || v > 10 {
			return &exitError{code: ExitError, err: &api.Error{Code: "dial_out_of_range", Message: fmt.Sprintf("%s must be from 1 to 10, got %d", name, v)}}
		}
	}
	return nil
}

func (f *specFlags) spec(cmd *cobra.Command) (api.Spec, error) {
	s := api.Spec{Target: f.target, Task: f.task, Scorer: f.scorer, Accuracy: f.accuracy, Time: f.time,
		Interpretability: f.interp, Seed: f.seed, Models: f.models}
	if f.params != "" {
		s.Params = map[string]string{}
		for _, kv := range strings.Split(f.params, ",") {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || strings.TrimSpace(k) == "" {
				return s, usageErr("--params: want key=value pairs separated by commas, got %q", kv)
			}
			s.Params[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	if cmd.Flags().Changed("folds") {
		folds := f.folds
		s.Folds = &folds
	}
	return s, f.check()
}

func newTrainCmd(g *globals) *cobra.Command {
	var sf specFlags
	var data, out string
	cmd := &cobra.Command{
		Use:   "train --data FILE --target COL",
		Short: "Run one experiment in this process (no server) and print the leaderboard",
		Args:  cobra.NoArgs,
	}
	sf.register(cmd)
	cmd.Flags().StringVar(&data, "data", "", "CSV file to train on")
	cmd.Flags().StringVar(&out, "out", "", "directory to write the model and reports to")
	cmd.Flags().IntVar(&sf.threads, "threads", 0, "threads to use (0 = all cores)")
	cmd.RunE = func(c *cobra.Command, _ []string) error {
		if data == "" || sf.target == "" {
			return usageErr("train needs --data FILE and --target COL")
		}
		spec, err := sf.spec(c)
		if err != nil {
			return err
		}
		opts, err := runner.EngineOptions(protocol.Spec{Target: spec.Target, Task: spec.Task, Scorer: spec.Scorer,
			Accuracy: spec.Accuracy, Time: spec.Time, Interpretability: spec.Interpretability, Seed: spec.Seed,
			Models: spec.Models, Params: spec.Params, Folds: spec.Folds})
		if err != nil {
			return err
		}
		opts.Threads = sf.threads
		bar := newProgressBar(g.stderr, "training", !g.json)
		report := func(ev engine.Event) {
			if ev.Type == api.EventProgress {
				bar.set(ev.Fraction, ev.Message)
			}
		}
		res, err := engine.TrainFile(c.Context(), data, opts, report)
		bar.done()
		if err != nil {
			return err
		}
		if out != "" {
			if err := res.Save(out); err != nil {
				return err
			}
		}
		if g.json {
			return printJSON(g.stdout, res.Summary)
		}
		printSummary(g, summaryOf(res.Summary))
		if out != "" {
			fmt.Fprintf(g.stdout, "\nmodel saved in %s (score new data: drover predict --model %s/model --data FILE)\n", out, out)
		} else {
			fmt.Fprintln(g.stdout, "\nmodel not saved: pass --out DIR to keep it")
		}
		return nil
	}
	return cmd
}

// summaryOf is the engine's summary as the REST type printSummary reads.
func summaryOf(s engine.Summary) *api.Summary {
	entry := func(e engine.LeaderboardEntry) api.LeaderboardEntry {
		return api.LeaderboardEntry{Model: e.Model, Params: e.Params, CVScore: e.CVScore, CVStd: e.CVStd, FitSeconds: e.FitSeconds}
	}
	out := &api.Summary{Task: s.Task, Scorer: s.Scorer, Best: entry(s.Best), Metrics: s.Metrics, Rows: s.Rows, Features: s.Features, Notes: s.Notes}
	if t := s.Threshold; t != nil {
		out.Threshold = &api.Threshold{Positive: t.Positive, F1Threshold: t.F1Threshold, F1: t.F1, Used: t.Used,
			Confusion: api.ConfusionMatrix{TP: t.Confusion.TP, FP: t.Confusion.FP, TN: t.Confusion.TN, FN: t.Confusion.FN}}
	}
	for _, e := range s.Leaderboard {
		out.Leaderboard = append(out.Leaderboard, entry(e))
	}
	return out
}

// printSummary prints a leaderboard, best first.
func printSummary(g *globals, s *api.Summary) {
	fmt.Fprintf(g.stdout, "task: %s   scorer: %s   rows: %d   features: %d\n\n", s.Task, s.Scorer, s.Rows, s.Features)
	rows := make([][]string, 0, len(s.Leaderboard))
	for i, e := range s.Leaderboard {
		rows = append(rows, []string{fmt.Sprint(i + 1), e.Model, fmtScore(e.CVScore), fmtScore(e.CVStd), fmt.Sprintf("%.2f", e.FitSeconds), fmtParams(e.Params)})
	}
	table(g.stdout, []string{"#", "MODEL", "CV " + strings.ToUpper(s.Scorer), "STD", "FIT S", "PARAMS"}, rows)
	fmt.Fprintf(g.stdout, "\nbest: %s  cv %s = %s ± %s\n", s.Best.Model, s.Scorer, fmtScore(s.Best.CVScore), fmtScore(s.Best.CVStd))
	if len(s.Metrics) > 0 {
		keys := make([]string, 0, len(s.Metrics))
		for k := range s.Metrics {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("%s %.5f", k, s.Metrics[k]))
		}
		fmt.Fprintf(g.stdout, "metrics: %s\n", strings.Join(parts, ", "))
	}
}

func fmtParams(p map[string]string) string {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+"="+p[k])
	}
	return strings.Join(parts, ",")
}

func newPredictCmd(g *globals) *cobra.Command {
	var model, data, out string
	var explain bool
	cmd := &cobra.Command{
		Use:   "predict --model DIR --data FILE [--out FILE] [--explain]",
		Short: "Score a CSV file with a saved model",
		Long: `Score a CSV file with a saved model. The output has "predict" and, for
classification, one probability column "p.<class>" per class.

With --explain it also has each feature's contribution to the model's raw score
and the bias, which add up to that score: "contrib.<feature>" and "contrib.bias"
(binary: the log-odds of the last class; regression: the predicted value), or
"contrib.<class>.<feature>" and "contrib.<class>.bias" per class (multiclass: each
class's margin, before the softmax). Boosted trees (gbm, xgboost) give exact
TreeSHAP values; a GLM gives coefficient times the standardised value (from the
training mean; categorical levels from the reference level). An ensemble gives its
members' contributions weighted as in the ensemble.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if model == "" || data == "" {
				return usageErr("predict needs --model DIR and --data FILE")
			}
			dest := out
			if dest == "" {
				f, err := os.CreateTemp("", "drover-predict-*.csv")
				if err != nil {
					return err
				}
				f.Close()
				dest = f.Name()
				defer os.Remove(dest)
			}
			n, err := engine.PredictFileWith(c.Context(), model, data, dest, engine.PredictOptions{Explain: explain})
			if err != nil {
				return err
			}
			if out == "" {
				b, err := os.ReadFile(dest)
				if err != nil {
					return err
				}
				_, err = g.stdout.Write(b)
				return err
			}
			if g.json {
				return printJSON(g.stdout, map[string]any{"rows": n, "out": out})
			}
			fmt.Fprintf(g.stdout, "%d rows scored; predictions in %s\n", n, out)
			return nil
		},
	}
	cmd.Flags().StringVar(&model, "model", "", "model directory (the model/ folder of 'train --out' or of an experiment download)")
	cmd.Flags().StringVar(&data, "data", "", "CSV file to score")
	cmd.Flags().StringVar(&out, "out", "", "file to write predictions to (default: standard output)")
	cmd.Flags().BoolVar(&explain, "explain", false, "add each feature's contribution to the raw score (contrib.<feature>, contrib.bias; per class for multiclass)")
	return cmd
}
