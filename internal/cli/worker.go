package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newWorkerCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Run a worker that pulls experiments from Redis (singlenode and multinode modes)",
		Args:  cobra.NoArgs,
	}
	load := configFlag(cmd)
	cmd.RunE = func(c *cobra.Command, _ []string) error {
		if _, err := load(); err != nil {
			return err
		}
		return fmt.Errorf("worker: not built yet")
	}
	return cmd
}
