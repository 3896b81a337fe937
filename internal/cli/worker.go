package cli

import (
	"fmt"

	"github.com/spf13/cobra"

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
	cmd.RunE = func(c *cobra.Command, _ []string) error {
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
		w, err := worker.New(ctx, cfg, log, q, worker.Options{})
		if err != nil {
			return err
		}
		return w.Run(ctx)
	}
	return cmd
}
