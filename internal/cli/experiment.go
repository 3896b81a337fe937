package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/drover-ml/drover/api"
)

func newExperimentCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "experiment", Aliases: []string{"exp"}, Short: "Create, follow and manage experiments"}
	cmd.AddCommand(newExpCreateCmd(g), newExpListCmd(g), newExpShowCmd(g), newExpCancelCmd(g), newExpFinishCmd(g), newExpPriorityCmd(g), newExpLogsCmd(g), newExpDownloadCmd(g), newExpDeleteCmd(g),
		newExpRenameCmd(g), newExpTagCmd(g))
	return cmd
}

func newExpCreateCmd(g *globals) *cobra.Command {
	var sf specFlags
	var dataset, name, command string
	var gpus int
	var wait bool
	var priority string
	cmd := &cobra.Command{
		Use:   "create --dataset ID --target COL",
		Short: "Queue an experiment",
		Args:  cobra.NoArgs,
	}
	sf.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&dataset, "dataset", "", "dataset id (from 'dataset upload' or 'dataset list')")
	fl.StringVar(&name, "name", "", "a label for the experiment")
	fl.StringVar(&command, "command", "", "run this shell command instead of the AutoML engine (workers with allow_command_experiments only)")
	fl.IntVar(&gpus, "gpus", 0, "GPUs the experiment needs")
	fl.StringVar(&priority, "priority", "normal", "priority class: high (admins), normal or low; a free processor takes the oldest of the highest class")
	fl.BoolVar(&wait, "wait", false, "follow progress until the experiment ends; exit 0 only if it succeeded")
	cmd.RunE = func(c *cobra.Command, _ []string) error {
		if dataset == "" {
			return usageErr("experiment create needs --dataset ID")
		}
		if sf.target == "" && command == "" {
			return usageErr("experiment create needs --target COL (or --command)")
		}
		spec, err := sf.spec(c)
		if err != nil {
			return err
		}
		spec.DatasetID, spec.Name, spec.Command, spec.GPUs, spec.Priority = dataset, name, command, gpus, priority
		if command != "" && !c.Flags().Changed("task") {
			spec.Task = ""
		}
		e, err := g.client().CreateExperiment(c.Context(), spec)
		if err != nil {
			return err
		}
		if !wait {
			if g.json {
				return printJSON(g.stdout, e)
			}
			fmt.Fprintf(g.stdout, "%s queued\n", e.ID)
			return nil
		}
		if !g.json {
			fmt.Fprintf(g.stderr, "%s queued; following it (Ctrl-C stops following, not the experiment)\n", e.ID)
		}
		return waitFor(c.Context(), g, e.ID)
	}
	return cmd
}

// waitFor follows an experiment with a progress bar until it ends.
func waitFor(ctx context.Context, g *globals, id string) error {
	bar := newProgressBar(g.stderr, id, !g.json)
	final, err := g.client().FollowEvents(ctx, id, 0, func(ev api.Event) error {
		switch ev.Type {
		case api.EventProgress:
			bar.set(ev.Fraction, ev.Message)
		case api.EventStatus:
			if !bar.on && !g.json {
				fmt.Fprintf(g.stderr, "%s: %s\n", id, ev.Message)
			}
		}
		return nil
	})
	bar.done()
	if err != nil {
		return err
	}
	if g.json {
		if err := printJSON(g.stdout, final); err != nil {
			return err
		}
	} else {
		printExperiment(g, final)
	}
	if final.Status != api.StatusSucceeded {
		msg := fmt.Sprintf("experiment %s %s", final.ID, final.Status)
		if final.Error != nil {
			msg += ": " + final.Error.Message + " [" + final.Error.Code + "]"
		}
		return &exitError{code: ExitNotGood, err: fmt.Errorf("%s", msg)}
	}
	return nil
}

func printExperiment(g *globals, e *api.Experiment) {
	fmt.Fprintf(g.stdout, "experiment %s: %s", e.ID, e.Status)
	if e.FailureKind != "" {
		fmt.Fprintf(g.stdout, " (%s)", e.FailureKind)
	}
	fmt.Fprintln(g.stdout)
	printNameTags(g, e)
	fmt.Fprintf(g.stdout, "dataset %s   target %s   attempt %d   worker %s\n", e.Spec.DatasetID, orDash(e.Spec.Target), e.Attempt, orDash(workerLabel(e)))
	if e.Status == api.StatusQueued && e.QueuePosition > 0 {
		fmt.Fprintln(g.stdout, queuePlace(e))
	}
	if e.Status == api.StatusRunning {
		fmt.Fprintf(g.stdout, "progress %.0f%%  %s\n", e.Progress*100, e.Message)
	}
	if e.Error != nil {
		fmt.Fprintf(g.stdout, "error: %s [%s]\n", e.Error.Message, e.Error.Code)
	}
	fmt.Fprintf(g.stdout, "created %s   started %s   finished %s\n", fmtTime(&e.CreatedAt), fmtTime(e.StartedAt), fmtTime(e.FinishedAt))
	if e.Summary != nil && len(e.Summary.Leaderboard) > 0 {
		fmt.Fprintln(g.stdout)
		printSummary(g, e.Summary)
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func durationOf(started, finished *time.Time) string {
	if started == nil {
		return "-"
	}
	end := time.Now()
	if finished != nil {
		end = *finished
	}
	return end.Sub(*started).Round(100 * time.Millisecond).String()
}

func newExpListCmd(g *globals) *cobra.Command {
	var opts api.ListOptions
	var all bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List experiments (newest first; --sort, --order and filters)",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			list, more, err := listExperiments(c.Context(), g.client(), opts, all)
			if err != nil {
				return err
			}
			if g.json {
				return printJSON(g.stdout, list)
			}
			rows := make([][]string, 0, len(list))
			for _, e := range list {
				where := orDash(e.WorkerName)
				if e.WorkerName == "" {
					where = orDash(e.Worker)
				}
				if e.Status == api.StatusQueued && e.QueuePosition > 0 {
					where = e.QueuePlace
					if where == "" {
						where = fmt.Sprintf("#%d in %s queue: %s", e.QueuePosition, strings.ToUpper(e.Queue), e.WaitReason)
					}
				}
				score := "-"
				if e.BestScore != nil && e.Scorer != "" {
					score = e.Scorer + " " + fmtScore(*e.BestScore)
				}
				rows = append(rows, []string{e.ID, e.Status, orDash(e.Spec.Target), fmt.Sprint(e.Attempt), durationOf(e.StartedAt, e.FinishedAt), score, where})
			}
			table(g.stdout, []string{"ID", "STATUS", "TARGET", "ATTEMPT", "DURATION", "BEST", "WHERE"}, rows)
			if more {
				fmt.Fprintf(g.stderr, "(the newest %d shown; --limit N or --all for more)\n", len(list))
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Status, "status", "", "only these statuses (comma-separated)")
	fl.StringVar(&opts.Dataset, "dataset", "", "only experiments on this dataset id")
	fl.StringVar(&opts.Q, "q", "", "only experiments whose id, name or target contains this text")
	fl.StringVar(&opts.Sort, "sort", "", "created (default), duration or score")
	fl.StringVar(&opts.Order, "order", "", "desc (newest, longest, highest first; default) or asc")
	fl.StringVar(&opts.Owner, "owner", "", "only this user's experiments (admins)")
	fl.StringVar(&opts.Task, "task", "", "only experiments that ran this task (binary, multiclass, regression)")
	fl.StringVar(&opts.Worker, "worker", "", "only experiments run by the worker of this name")
	fl.StringVar(&opts.Priority, "priority", "", "only experiments of this priority (high, normal, low)")
	fl.StringVar(&opts.Tag, "tag", "", "only experiments with this tag (matched exactly)")
	fl.IntVar(&opts.Limit, "limit", api.DefaultPageSize, fmt.Sprintf("show at most this many (1-%d per page; with --all, the page size)", api.MaxPageSize))
	fl.BoolVar(&all, "all", false, "every experiment, page after page")
	return cmd
}

// listExperiments reads one page, or with all every page; more reports
// that rows were left out.
func listExperiments(ctx context.Context, cl *api.Client, opts api.ListOptions, all bool) (list []api.ExperimentRow, more bool, err error) {
	if !all {
		p, err := cl.ListExperimentsPage(ctx, opts)
		if err != nil {
			return nil, false, err
		}
		return p.Items, p.NextCursor != "", nil
	}
	list = []api.ExperimentRow{}
	for r, err := range cl.Experiments(ctx, opts) {
		if err != nil {
			return nil, false, err
		}
		list = append(list, r)
	}
	return list, false, nil
}

func newExpShowCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "show ID",
		Short: "Show an experiment, its place in the queue or its leaderboard",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := g.client().GetExperiment(c.Context(), args[0])
			if err != nil {
				return err
			}
			if g.json {
				return printJSON(g.stdout, e)
			}
			printExperiment(g, e)
			return nil
		},
	}
}

func newExpCancelCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "cancel ID",
		Short: "Cancel a queued or running experiment (it is never retried)",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := g.client().CancelExperiment(c.Context(), args[0])
			if err != nil {
				return err
			}
			if g.json {
				return printJSON(g.stdout, e)
			}
			fmt.Fprintf(g.stdout, "%s %s\n", e.ID, e.Status)
			return nil
		},
	}
}

func newExpLogsCmd(g *globals) *cobra.Command {
	var follow bool
	cmd := &cobra.Command{
		Use:   "logs ID",
		Short: "Print an experiment's events (progress, logs, status)",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			print := func(ev api.Event) error {
				if g.json {
					return printJSON(g.stdout, ev)
				}
				fmt.Fprintln(g.stdout, formatEvent(ev))
				return nil
			}
			if follow {
				_, err := g.client().FollowEvents(c.Context(), args[0], 0, print)
				return err
			}
			evs, err := g.client().Events(c.Context(), args[0], 0)
			if err != nil {
				return err
			}
			if g.json {
				return printJSON(g.stdout, evs)
			}
			for _, ev := range evs {
				fmt.Fprintln(g.stdout, formatEvent(ev))
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep printing new events until the experiment ends")
	return cmd
}

func formatEvent(ev api.Event) string {
	ts := ev.Time.Local().Format("15:04:05.000")
	switch ev.Type {
	case api.EventProgress:
		return fmt.Sprintf("%s  progress %3.0f%%  %s", ts, ev.Fraction*100, ev.Message)
	case api.EventStatus:
		return fmt.Sprintf("%s  status   %s  %s", ts, ev.Status, ev.Message)
	case api.EventPlan:
		if p := ev.Plan; p != nil {
			return fmt.Sprintf("%s  plan     task %s, scorer %s, budget %.0fs", ts, p.Task, p.Scorer, p.BudgetSeconds)
		}
	case api.EventCandidate:
		if c := ev.Candidate; c != nil {
			return fmt.Sprintf("%s  scored   %s cv %.5g ± %.3g (%.1fs)", ts, c.Model, c.CVScore, c.CVStd, c.FitSeconds)
		}
	}
	lvl := ev.Level
	if lvl == "" {
		lvl = "info"
	}
	return fmt.Sprintf("%s  %-8s %s", ts, lvl, ev.Message)
}

func newExpDownloadCmd(g *globals) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "download ID --out DIR",
		Short: "Download every artifact (model, leaderboard, predictions, logs) of a succeeded experiment",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if out == "" {
				return usageErr("experiment download needs --out DIR")
			}
			cl := g.client()
			arts, err := cl.Artifacts(c.Context(), args[0])
			if err != nil {
				return err
			}
			for _, a := range arts {
				dst := filepath.Join(out, filepath.FromSlash(a.Name))
				if rel, err := filepath.Rel(out, dst); err != nil || strings.HasPrefix(rel, "..") {
					return fmt.Errorf("artifact name %q escapes %s", a.Name, out)
				}
				if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
					return err
				}
				f, err := os.Create(dst)
				if err != nil {
					return err
				}
				if err := cl.DownloadArtifact(c.Context(), args[0], a.Name, f); err != nil {
					f.Close()
					return err
				}
				if err := f.Close(); err != nil {
					return err
				}
				if !g.json {
					fmt.Fprintf(g.stdout, "%s  %s\n", dst, humanBytes(a.Size))
				}
			}
			if g.json {
				return printJSON(g.stdout, map[string]any{"out": out, "artifacts": arts})
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "directory to write the artifacts to")
	return cmd
}

func newExpFinishCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "finish ID",
		Short: "Stop a running experiment's search and keep the best model found so far",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := g.client().FinishExperiment(c.Context(), args[0])
			if err != nil {
				return err
			}
			if g.json {
				return printJSON(g.stdout, e)
			}
			fmt.Fprintf(g.stdout, "%s: finish requested; it ends with the best model so far\n", e.ID)
			return nil
		},
	}
}

func newExpPriorityCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "priority ID high|normal|low",
		Short: "Move a queued experiment to another priority class (admins)",
		Args:  cobra.ExactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := g.client().SetPriority(c.Context(), args[0], args[1])
			if err != nil {
				return err
			}
			if g.json {
				return printJSON(g.stdout, e)
			}
			fmt.Fprintf(g.stdout, "%s: priority %s\n", e.ID, e.Spec.Priority)
			if e.QueuePosition > 0 {
				fmt.Fprintln(g.stdout, queuePlace(e))
			}
			return nil
		},
	}
}

// queuePlace is "#3 in CPU queue (normal): 1 high-priority experiment
// ahead; all 4 processors busy", from the server or built from the fields.
func queuePlace(e *api.Experiment) string {
	if e.QueuePlace != "" {
		return e.QueuePlace
	}
	return fmt.Sprintf("#%d in %s queue: %s", e.QueuePosition, strings.ToUpper(e.Queue), e.WaitReason)
}

// workerLabel is "name (identity)", or whichever of the two is known.
func workerLabel(e *api.Experiment) string {
	switch {
	case e.WorkerName == "" || e.WorkerName == e.Worker:
		return e.Worker
	case e.Worker == "":
		return e.WorkerName
	}
	return e.WorkerName + " (" + e.Worker + ")"
}
