// Package servertest runs a real drover server in-process for tests: on a
// free loopback port, with a temporary data directory, stopped at cleanup.
// Test binaries that use it let the runner re-execute them as experiment
// processes: their TestMain calls runner.MaybeChild first.
package servertest

import (
	"context"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/drover-ml/drover/internal/config"
	"github.com/drover-ml/drover/internal/server"
)

// Examples is the path of a file in the repository's examples/ folder.
func Examples(name string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "examples", name)
}

// Config is the default configuration with a temporary data directory.
func Config(t testing.TB) *config.Config {
	cfg := config.Default()
	cfg.DataDirectory = t.TempDir()
	cfg.LogLevel = "warn"
	return &cfg
}

// Start runs a server with cfg on a free loopback port until the test ends.
func Start(t testing.TB, cfg *config.Config) *server.Server {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv, err := server.New(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Serve(ctx, ln); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	return srv
}
