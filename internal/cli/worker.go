package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/drover-ml/drover/api"

	"github.com/drover-ml/drover/internal/server"
	"github.com/drover-ml/drover/internal/worker"
)

func newWorkerCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Run a worker that pulls experiments from Redis (singlenode and multinode modes)",
		Long: `Run a worker. It connects to the Redis of redis_ip:redis_port (database redis_db),
runs up to worker_remote_processors experiments at once, and stops gracefully on SIGTERM:
it claims nothing more, lets running experiments finish for worker_grace_period, then
hands the rest back to the queue.`,
		Args: cobra.NoArgs,
	}
	load := configFlag(cmd)
	var exitIdle time.Duration
	cmd.Flags().DurationVar(&exitIdle, "exit-when-idle", 0, "exit 0 after running nothing for this long (e.g. 10m), for autoscaled nodes; 0 = never")
	cmd.AddCommand(newWorkerActionCmd(g, "drain", "Stop a worker from taking new experiments; what it runs finishes"),
		newWorkerActionCmd(g, "resume", "Let a drained worker take experiments again"),
		newWorkerActionCmd(g, "remove", "Forget a dead worker; its experiments go back to the queue"))
	cmd.RunE = func(c *cobra.Command, _ []string) error {
		if exitIdle < 0 {
			return usageErr("--exit-when-idle must not be negative")
		}
		cfg, err := load()
		if err != nil {
			return err
		}
		if !cfg.UsesRedis() {
			return &exitError{code: ExitError, err: fmt.Errorf("worker_mode is %q: workers serve \"singlenode\" or \"multinode\" servers; set worker_mode (or DROVER_WORKER_MODE) to match the server", cfg.WorkerMode)}
		}
		log := newLogger(cfg)
		ctx := c.Context()
		q, err := server.OpenQueue(ctx, cfg, log)
		if err != nil {
			return err
		}
		defer q.Close()
		worker.SetVersion(version())
		w, err := worker.New(ctx, cfg, log, q, worker.Options{ExitWhenIdle: exitIdle})
		if err != nil {
			return err
		}
		return w.Run(ctx)
	}
	return cmd
}

func newWorkerActionCmd(g *globals, action, short string) *cobra.Command {
	return &cobra.Command{
		Use:   action + " NAME|ID",
		Short: short + " (admins)",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			cl := g.client()
			var w *api.Worker
			var err error
			switch action {
			case "drain":
				w, err = cl.DrainWorker(c.Context(), args[0])
			case "resume":
				w, err = cl.ResumeWorker(c.Context(), args[0])
			default:
				err = cl.RemoveWorker(c.Context(), args[0])
			}
			if err != nil {
				return err
			}
			if g.json {
				if w == nil {
					return printJSON(g.stdout, map[string]string{"removed": args[0]})
				}
				return printJSON(g.stdout, w)
			}
			if w == nil {
				fmt.Fprintf(g.stdout, "worker %s removed\n", args[0])
				return nil
			}
			fmt.Fprintf(g.stdout, "worker %s (%s): %s\n", w.Name, w.ID, w.State)
			return nil
		},
	}
}
