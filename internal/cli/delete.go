package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
)

// deleted is what `--json` prints for a deletion.
type deleted struct {
	ID      string `json:"id"`
	Deleted bool   `json:"deleted"`
}

func newDatasetDeleteCmd(g *globals) *cobra.Command {
	return newDeleteCmd(g, "dataset",
		"Delete a dataset and its file (refused while a queued or running experiment uses it)",
		func(ctx context.Context, id string) error { return g.client().DeleteDataset(ctx, id) })
}

func newExpDeleteCmd(g *globals) *cobra.Command {
	return newDeleteCmd(g, "experiment",
		"Delete a finished experiment with its events and artifacts (cancel a queued or running one first)",
		func(ctx context.Context, id string) error { return g.client().DeleteExperiment(ctx, id) })
}

func newDeleteCmd(g *globals, what, short string, del func(context.Context, string) error) *cobra.Command {
	return &cobra.Command{
		Use:   "delete ID...",
		Short: short,
		Args:  cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			for _, id := range args {
				if err := del(c.Context(), id); err != nil {
					return fmt.Errorf("delete %s %s: %w", what, id, err)
				}
				if g.json {
					if err := printJSON(g.stdout, deleted{ID: id, Deleted: true}); err != nil {
						return err
					}
					continue
				}
				fmt.Fprintf(g.stdout, "%s deleted\n", id)
			}
			return nil
		},
	}
}
