package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
)

// Exit codes of drover-bench.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

type usageError struct{ error }

// Main runs the drover-bench command (cmd/drover-bench) with args and
// returns its exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := &cobra.Command{
		Use:   "drover-bench",
		Short: "Benchmarks of drover's parts against their peers (not part of the drover binary)",
		Long: `drover-bench measures parts of drover against peers that drover itself does not
link (hibiken/asynq). docs/performance.md has the figures and how to reproduce them.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError{fmt.Errorf("%s: %w (see '%s --help')", c.CommandPath(), err, c.CommandPath())}
	})
	root.AddCommand(newQueueCmd(stdout, stderr), newAsynqWorkerCmd())
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	fmt.Fprintln(stderr, "drover-bench: "+err.Error())
	if errors.As(err, new(usageError)) || strings.HasPrefix(err.Error(), "unknown command") {
		return exitUsage
	}
	return exitError
}

func newQueueCmd(stdout, stderr io.Writer) *cobra.Command {
	var (
		o      Options
		only   []string
		out    string
		quiet  bool
		logs   bool
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "queue",
		Short: "Measure the Redis queue side by side with asynq (pickup, throughput, recovery, idle load, memory)",
		Long: `Measure drover's Redis queue and workers side by side with github.com/hibiken/asynq
on one redis-server (started on a free loopback port unless --redis is given), in one run:

  pickup      a processor is free and waiting; enqueue one experiment; time until its
              child process is started (drover: the real worker and runner, a command
              experiment 'true'; asynq: a handler that starts 'true'). Sequential samples.
  throughput  --n no-op experiments queued, then drained by claim + result, no child.
  recovery    kill -9 of a 'drover worker' process running a long experiment; time
              until it runs again on a second worker (defaults: 10 s lease).
              asynq's side takes minutes: --with-asynq-recovery.
  idle        Redis commands/s with --idle-workers idle workers.
  memory      Redis memory and keys left per finished experiment.

Worker processes and experiment children run the drover binary (--exe; default: 'drover'
beside this executable, else on PATH). Nothing is written to the repository unless --out
is given. docs/performance.md has the figures and what they mean.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if o.Exe == "" {
				exe, err := findDrover()
				if err != nil {
					return err
				}
				o.Exe = exe
			}
			o.Only = only
			if !quiet {
				o.Progress = stderr
			}
			if logs {
				o.Log = stderr
			}
			rep, err := Run(c.Context(), o)
			if err != nil {
				return err
			}
			rep.Command = "drover-bench " + strings.Join(os.Args[1:], " ")
			if out != "" {
				b, _ := json.MarshalIndent(rep, "", "  ")
				if err := os.WriteFile(out, append(b, '\n'), 0o644); err != nil {
					return err
				}
			}
			if asJSON {
				enc := json.NewEncoder(stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(rep)
			}
			return rep.WriteTable(stdout)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.RedisAddr, "redis", "", "use this Redis (host:port) instead of starting redis-server; databases --db..--db+9 must be empty and are flushed afterwards")
	f.IntVar(&o.DB, "db", 0, "first Redis database to use")
	f.StringVar(&o.Exe, "exe", "", "drover binary for worker processes and experiment children (default: 'drover' beside this executable, else on PATH)")
	f.StringSliceVar(&only, "only", nil, "scenarios to run: "+strings.Join(Scenarios, ","))
	f.IntVar(&o.Samples, "samples", 200, "pickup samples (drover)")
	f.IntVar(&o.AsynqSamples, "asynq-samples", 100, "pickup samples (asynq; each takes about its 1 s poll)")
	f.DurationVar(&o.PickupGap, "pickup-gap", 100*time.Millisecond, "largest random pause between pickup samples")
	f.IntVar(&o.N, "n", 20000, "throughput: no-op experiments")
	f.IntVar(&o.Workers, "workers", 4, "throughput: workers (asynq: one server of workers×slots concurrency)")
	f.IntVar(&o.Slots, "slots", 2, "throughput: slots per worker")
	f.IntVar(&o.IdleWorkers, "idle-workers", 10, "idle: workers")
	f.DurationVar(&o.IdleFor, "idle-for", 10*time.Second, "idle: measurement window")
	f.IntVar(&o.MemoryN, "memory-n", 1000, "memory: experiments")
	f.BoolVar(&o.AsynqRecovery, "with-asynq-recovery", false, "also run asynq's side of the recovery scenario (1-3 minutes)")
	f.StringVar(&out, "out", "", "also write the report as JSON to this file")
	f.BoolVar(&quiet, "quiet", false, "no progress lines on stderr")
	f.BoolVar(&logs, "log", false, "show warnings of the in-process workers and asynq servers on stderr")
	f.BoolVar(&asJSON, "json", false, "print the report as JSON instead of tables")
	return cmd
}

// findDrover returns the drover binary beside this executable, else the
// one on PATH.
func findDrover() (string, error) {
	if self, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(self), "drover")
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	if p, err := exec.LookPath("drover"); err == nil {
		return p, nil
	}
	return "", usageError{errors.New("queue: no drover binary beside this executable or on PATH: build one (go build -o bin/drover ./cmd/drover) and pass --exe bin/drover")}
}

// newAsynqWorkerCmd is the asynq worker process of the recovery scenario;
// users never call it themselves.
func newAsynqWorkerCmd() *cobra.Command {
	var (
		addr string
		db   int
	)
	cmd := &cobra.Command{
		Use:    "asynq-worker",
		Short:  "asynq server of the recovery benchmark (started by 'drover-bench queue')",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if addr == "" {
				return usageError{errors.New("asynq-worker: --redis is required")}
			}
			return AsynqWorker(c.Context(), addr, db, c.OutOrStdout())
		},
	}
	cmd.Flags().StringVar(&addr, "redis", "", "Redis host:port")
	cmd.Flags().IntVar(&db, "db", 0, "Redis database")
	return cmd
}
