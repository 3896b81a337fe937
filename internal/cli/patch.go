package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/drover-ml/drover/api"
)

// printNameTags prints an experiment's name and tags, when it has any.
func printNameTags(g *globals, e *api.Experiment) {
	if e.Spec.Name == "" && len(e.Tags) == 0 {
		return
	}
	fmt.Fprintf(g.stdout, "name %s   tags %s\n", orDash(e.Spec.Name), orDash(strings.Join(e.Tags, " ")))
}

func newExpRenameCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "rename ID NAME",
		Short: "Rename an experiment (\"\" clears the name)",
		Args:  cobra.ExactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := g.client().RenameExperiment(c.Context(), args[0], args[1])
			if err != nil {
				return err
			}
			if g.json {
				return printJSON(g.stdout, e)
			}
			fmt.Fprintf(g.stdout, "%s renamed to %q\n", e.ID, e.Spec.Name)
			return nil
		},
	}
}

func newExpTagCmd(g *globals) *cobra.Command {
	var remove, set bool
	cmd := &cobra.Command{
		Use:   "tag ID TAG...",
		Short: "Add tags to an experiment (--remove takes them off, --set replaces them all)",
		Long: "Add tags to an experiment. A tag has letters, digits and - _ . : / + = @ # (at most 64 bytes);\n" +
			"an experiment has at most 32. --remove takes the given tags off; --set replaces every tag\n" +
			"with the given ones (--set with no tag clears them).",
		Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			id, tags := args[0], args[1:]
			var p api.ExperimentPatch
			switch {
			case set && remove:
				return usageErr("experiment tag: --set and --remove do not go together")
			case set:
				p.Tags = &tags
			case len(tags) == 0:
				return usageErr("experiment tag needs at least one tag (or --set to clear them)")
			case remove:
				p.RemoveTags = tags
			default:
				p.AddTags = tags
			}
			e, err := g.client().PatchExperiment(c.Context(), id, p)
			if err != nil {
				return err
			}
			if g.json {
				return printJSON(g.stdout, e)
			}
			fmt.Fprintf(g.stdout, "%s tags: %s\n", e.ID, orDash(strings.Join(e.Tags, " ")))
			return nil
		},
	}
	cmd.Flags().BoolVar(&remove, "remove", false, "take the given tags off")
	cmd.Flags().BoolVar(&set, "set", false, "replace every tag with the given ones")
	return cmd
}
