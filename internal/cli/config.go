package cli

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	"github.com/drover-ml/drover/internal/config"
	"github.com/drover-ml/drover/internal/server"
)

// configFlag registers --config on a command and returns a loader.
func configFlag(cmd *cobra.Command) func() (*config.Config, error) {
	var path string
	cmd.Flags().StringVar(&path, "config", config.DefaultPath, "config file (env DROVER_<KEY> overrides any key)")
	return func() (*config.Config, error) {
		cfg, err := config.LoadDefaultPath(path, cmd.Flags().Changed("config"), os.Environ())
		if err != nil {
			return nil, &exitError{code: ExitError, err: err}
		}
		return cfg, nil
	}
}

// newLogger is the logger of a long-running command (server, worker). It
// first warns about DROVER_ variables that name no key.
func newLogger(cfg *config.Config) *slog.Logger {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.SlogLevel()}))
	for _, w := range config.EnvWarnings(os.Environ()) {
		log.Warn(w)
	}
	return log
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func newConfigCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Show or check the configuration"}
	show := &cobra.Command{
		Use:   "show",
		Short: "Print every key with its value (secrets masked)",
		Args:  cobra.NoArgs,
	}
	loadShow := configFlag(show)
	show.RunE = func(c *cobra.Command, _ []string) error {
		cfg, err := loadShow()
		if err != nil {
			return err
		}
		return cfg.Show(g.stdout, g.json)
	}
	check := &cobra.Command{
		Use:   "check",
		Short: "Check the configuration; exit 0 only when it is valid",
		Args:  cobra.NoArgs,
	}
	loadCheck := configFlag(check)
	check.RunE = func(c *cobra.Command, _ []string) error {
		warnings := config.EnvWarnings(os.Environ())
		for _, w := range warnings {
			fmt.Fprintln(g.stderr, "warning: "+w)
		}
		cfg, err := loadCheck()
		if err != nil {
			return err
		}
		if err := cfg.CheckTLSFiles(); err != nil {
			return &exitError{code: ExitError, err: err}
		}
		// The MinIO decision the server would take at start (multinode).
		var minio string
		if cfg.UsesObjectStore() {
			plan, err := server.PlanObjects(c.Context(), cfg)
			if err != nil {
				return &exitError{code: ExitError, err: err}
			}
			minio = plan.Note
		}
		if g.json {
			out := map[string]any{"valid": true, "worker_mode": cfg.WorkerMode, "warnings": nonNil(warnings)}
			if minio != "" {
				out["minio"] = minio
			}
			return printJSON(g.stdout, out)
		}
		fmt.Fprintf(g.stdout, "configuration is valid (worker_mode = %q)\n", cfg.WorkerMode)
		if minio != "" {
			fmt.Fprintln(g.stdout, "minio: "+minio)
		}
		return nil
	}
	cmd.AddCommand(show, check)
	return cmd
}
