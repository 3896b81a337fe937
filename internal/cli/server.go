package cli

import (
	"github.com/spf13/cobra"

	"github.com/drover-ml/drover/internal/server"
)

func newServerCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Run the main server (REST API, web UI, scheduling)",
		Long: `Run the main server. With worker_mode = "multiprocessing" (the default) it runs
experiments itself in child processes; with "singlenode" or "multinode" it queues them
in Redis for 'drover worker' processes.`,
		Args: cobra.NoArgs,
	}
	load := configFlag(cmd)
	cmd.RunE = func(c *cobra.Command, _ []string) error {
		cfg, err := load()
		if err != nil {
			return err
		}
		log := newLogger(cfg)
		ctx := c.Context()
		srv, err := server.New(ctx, cfg, log)
		if err != nil {
			return err
		}
		if err := srv.Start(ctx); err != nil {
			srv.Stop()
			return err
		}
		<-ctx.Done()
		log.Info("stopping server")
		srv.Stop()
		return nil
	}
	return cmd
}
