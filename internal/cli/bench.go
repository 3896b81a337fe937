package cli

import (
	"encoding/json"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/drover-ml/drover/internal/bench"
)

func newBenchCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Benchmarks of drover's parts",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newBenchQueueCmd(g), newBenchAsynqWorkerCmd())
	return cmd
}

func newBenchQueueCmd(g *globals) *cobra.Command {
	var (
		o     bench.Options
		only  []string
		out   string
		quiet bool
		logs  bool
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

Nothing is written to the repository unless --out is given. docs/performance.md has
the figures and what they mean.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			o.Only = only
			if !quiet {
				o.Progress = g.stderr
			}
			if logs {
				o.Log = g.stderr
			}
			rep, err := bench.Run(c.Context(), o)
			if err != nil {
				return err
			}
			rep.Command = "drover " + strings.Join(os.Args[1:], " ")
			if out != "" {
				b, _ := json.MarshalIndent(rep, "", "  ")
				if err := os.WriteFile(out, append(b, '\n'), 0o644); err != nil {
					return err
				}
			}
			if g.json {
				enc := json.NewEncoder(g.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(rep)
			}
			return rep.WriteTable(g.stdout)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.RedisAddr, "redis", "", "use this Redis (host:port) instead of starting redis-server; databases --db..--db+9 must be empty and are flushed afterwards")
	f.IntVar(&o.DB, "db", 0, "first Redis database to use")
	f.StringVar(&o.Exe, "exe", "", "drover binary for worker processes and experiment children (default: this one)")
	f.StringSliceVar(&only, "only", nil, "scenarios to run: "+strings.Join(bench.Scenarios, ","))
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
	return cmd
}

// newBenchAsynqWorkerCmd is the asynq worker process of the recovery
// scenario; users never call it themselves.
func newBenchAsynqWorkerCmd() *cobra.Command {
	var (
		addr string
		db   int
	)
	cmd := &cobra.Command{
		Use:    "asynq-worker",
		Short:  "asynq server of the recovery benchmark (started by 'drover bench queue')",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if addr == "" {
				return usageErr("bench asynq-worker: --redis is required")
			}
			return bench.AsynqWorker(c.Context(), addr, db, c.OutOrStdout())
		},
	}
	cmd.Flags().StringVar(&addr, "redis", "", "Redis host:port")
	cmd.Flags().IntVar(&db, "db", 0, "Redis database")
	return cmd
}
