package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/drover-ml/drover/api"
)

func newDatasetCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "dataset", Short: "Upload and list datasets"}
	upload := &cobra.Command{
		Use:   "upload FILE",
		Short: "Upload a CSV file to the server",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			bar := newProgressBar(g.stderr, "uploading", !g.json)
			ds, err := g.client().UploadDataset(c.Context(), args[0], func(done, total int64) {
				if total > 0 {
					bar.set(float64(done)/float64(total), humanBytes(done)+" of "+humanBytes(total))
				}
			})
			bar.done()
			if err != nil {
				return err
			}
			if g.json {
				return printJSON(g.stdout, ds)
			}
			fmt.Fprintf(g.stdout, "%s  %s  %d rows, %d columns, %s\n", ds.ID, ds.Name, ds.Rows, len(ds.Columns), humanBytes(ds.Size))
			return nil
		},
	}
	var opts api.ListOptions
	var all bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List datasets",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			cl := g.client()
			var list []api.DatasetRow
			more := false
			if all {
				list = []api.DatasetRow{}
				for d, err := range cl.Datasets(c.Context(), opts) {
					if err != nil {
						return err
					}
					list = append(list, d)
				}
			} else {
				p, err := cl.ListDatasetsPage(c.Context(), opts)
				if err != nil {
					return err
				}
				list, more = p.Items, p.NextCursor != ""
			}
			if g.json {
				return printJSON(g.stdout, list)
			}
			rows := make([][]string, 0, len(list))
			for _, d := range list {
				rows = append(rows, []string{d.ID, d.Name, fmt.Sprint(d.Rows), fmt.Sprint(d.ColumnCount), humanBytes(d.Size), fmtTime(&d.CreatedAt)})
			}
			table(g.stdout, []string{"ID", "NAME", "ROWS", "COLUMNS", "SIZE", "CREATED"}, rows)
			if more {
				fmt.Fprintf(g.stderr, "(the newest %d shown; --limit N or --all for more)\n", len(list))
			}
			return nil
		},
	}
	list.Flags().StringVar(&opts.Q, "q", "", "only datasets whose id or name contains this text")
	list.Flags().StringVar(&opts.Order, "order", "", "desc (newest first, default) or asc")
	list.Flags().StringVar(&opts.Owner, "owner", "", "only this user's datasets (admins)")
	list.Flags().IntVar(&opts.Limit, "limit", api.DefaultPageSize, fmt.Sprintf("show at most this many (1-%d per page; with --all, the page size)", api.MaxPageSize))
	list.Flags().BoolVar(&all, "all", false, "every dataset, page after page")
	show := &cobra.Command{
		Use:   "show ID",
		Short: "Show a dataset and its columns",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			d, err := g.client().GetDataset(c.Context(), args[0])
			if err != nil {
				return err
			}
			if g.json {
				return printJSON(g.stdout, d)
			}
			fmt.Fprintf(g.stdout, "%s  %s  %d rows, %s, sha256 %s\n\n", d.ID, d.Name, d.Rows, humanBytes(d.Size), d.SHA256)
			rows := make([][]string, 0, len(d.Columns))
			for _, col := range d.Columns {
				rows = append(rows, []string{col.Name, col.Type, fmt.Sprint(col.Missing), fmt.Sprint(col.Distinct)})
			}
			table(g.stdout, []string{"COLUMN", "TYPE", "MISSING", "DISTINCT"}, rows)
			return nil
		},
	}
	share := &cobra.Command{
		Use:   "share ID",
		Short: "Let every user see and use a dataset (its owner or an admin)",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			d, err := g.client().ShareDataset(c.Context(), args[0])
			if err != nil {
				return err
			}
			if g.json {
				return printJSON(g.stdout, d)
			}
			fmt.Fprintf(g.stdout, "%s shared with every user\n", d.ID)
			return nil
		},
	}
	cmd.AddCommand(upload, list, show, share, newDatasetDeleteCmd(g))
	return cmd
}
