// Package cli holds drover's commands, one file per command group. Client
// commands talk to a server through the api package.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"

	"github.com/drover-ml/drover/api"
	"github.com/drover-ml/drover/internal/engine"
)

// Exit codes.
const (
	ExitOK       = 0
	ExitError    = 1 // the command failed (bad input, server error, unreachable server)
	ExitUsage    = 2 // bad flags or arguments
	ExitNotGood  = 3 // --wait: the experiment ended failed or cancelled
	ExitInternal = 4
)

// exitError carries an exit code with an already-printed or printable message.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErr(format string, args ...any) error {
	return &exitError{code: ExitUsage, err: fmt.Errorf(format, args...)}
}

// globals are the flags every client command shares.
type globals struct {
	server string
	token  string
	json   bool
	stdout io.Writer
	stderr io.Writer
}

func (g *globals) client() *api.Client {
	return api.NewClient(g.server, g.token)
}

// Execute runs drover with args and returns the process exit code.
func Execute(args []string) int {
	return run(context.Background(), args, os.Stdout, os.Stderr)
}

// quietRedis drops go-redis's own log lines; drover reports connection
// problems itself, once, naming the address.
type quietRedis struct{}

func (quietRedis) Printf(context.Context, string, ...any) {}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	redis.SetLogger(quietRedis{})
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	g := &globals{stdout: stdout, stderr: stderr}
	root := newRoot(g)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	code := ExitError
	if errors.As(err, &ee) {
		code = ee.code
	} else if isFlagError(err) {
		code = ExitUsage
	}
	if err.Error() != "" {
		fmt.Fprintln(stderr, "drover: "+oneLine(err))
	}
	return code
}

func oneLine(err error) string {
	var ae *api.Error
	if errors.As(err, &ae) {
		return ae.Message + " [" + ae.Code + "]"
	}
	var ue *engine.UserError
	if errors.As(err, &ue) {
		return ue.Message + " [" + ue.Code + "]"
	}
	return err.Error()
}

func isFlagError(err error) bool {
	var fe flagError
	return errors.As(err, &fe)
}

type flagError struct{ error }

func newRoot(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:   "drover",
		Short: "drover runs AutoML experiments on tabular data, on one machine or many",
		Long: `drover runs AutoML experiments on tabular data. A main server takes datasets and
experiments; worker nodes pull experiments from a queue in Redis and send results back.

Start a server on this machine with 'drover server', or train once with 'drover train'.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &exitError{code: ExitUsage, err: fmt.Errorf("%s: %w (see '%s --help')", c.CommandPath(), err, c.CommandPath())}
	})
	pf := root.PersistentFlags()
	pf.StringVar(&g.server, "server", envOr("DROVER_SERVER", api.DefaultServer), "drover server URL (env DROVER_SERVER)")
	pf.StringVar(&g.token, "token", os.Getenv("DROVER_API_TOKEN"), "API token, when the server has one (env DROVER_API_TOKEN)")
	pf.BoolVar(&g.json, "json", false, "print JSON instead of tables")
	root.AddCommand(
		newServerCmd(g), newWorkerCmd(g), newTrainCmd(g), newPredictCmd(g),
		newDatasetCmd(g), newExperimentCmd(g), newSystemCmd(g), newConfigCmd(g), newUserCmd(g),
		newVersionCmd(g), newRunExperimentCmd(g),
	)
	return root
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// errSilent ends a command with a non-zero code and no further message.
var errSilent = errors.New("")
