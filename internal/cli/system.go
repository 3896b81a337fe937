package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

func newSystemCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "system", Short: "Resources of the server"}
	info := &cobra.Command{
		Use:   "info",
		Short: "Workers, processors and queues (the CLI twin of Resources > System Info)",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			si, err := g.client().SystemInfo(c.Context())
			if err != nil {
				return err
			}
			if g.json {
				return printJSON(g.stdout, si)
			}
			fmt.Fprintf(g.stdout, "drover %s   worker mode: %s\n", si.Version, si.WorkerMode)
			fmt.Fprintf(g.stdout, "workers: %d   processors: %d (%d busy)   queued: %d cpu, %d gpu\n\n",
				len(si.Workers), si.TotalProcessors, si.BusyProcessors, si.Queue.CPU, si.Queue.GPU)
			rows := make([][]string, 0, len(si.Workers))
			for _, w := range si.Workers {
				seen := "-"
				if w.LastSeen != nil {
					seen = time.Since(*w.LastSeen).Round(time.Second).String() + " ago"
				}
				gpus := fmt.Sprint(w.GPUs)
				if w.GPUs > 0 {
					gpus = fmt.Sprintf("%d (%d free)", w.GPUs, w.FreeGPUs)
				}
				running := strings.Join(w.Running, ",")
				if running == "" {
					running = "-"
				}
				rows = append(rows, []string{w.ID, orDash(w.Name), w.Host, fmt.Sprint(w.Processors), running, gpus, w.Health, orDash(w.State), seen})
			}
			table(g.stdout, []string{"WORKER", "NAME", "HOST", "PROCESSORS", "RUNNING", "GPUS", "HEALTH", "STATE", "LAST SEEN"}, rows)
			return nil
		},
	}
	cmd.AddCommand(info)
	return cmd
}
