package cli

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/drover-ml/drover/internal/runner"
)

// newRunExperimentCmd is the child side of the runner protocol; users never
// call it themselves.
func newRunExperimentCmd(g *globals) *cobra.Command {
	var job string
	cmd := &cobra.Command{
		Use:    "run-experiment --job FILE",
		Short:  "Run one attempt of an experiment (started by a server or worker)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if code := runner.RunChild(job, os.Stdin, os.Stdout); code != 0 {
				return &exitError{code: code, err: errSilent}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&job, "job", "", "job file written by the parent")
	_ = cmd.MarkFlagRequired("job")
	return cmd
}
