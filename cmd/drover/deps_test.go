package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestNoBenchmarkPeerInProduct checks that the drover binary links neither
// the benchmark (internal/bench, now cmd/drover-bench) nor its peer
// hibiken/asynq.
func TestNoBenchmarkPeerInProduct(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("go not on PATH: %v", err)
	}
	out, err := exec.Command(goBin, "list", "-deps", ".").Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("go list -deps ./cmd/drover: %v\n%s", err, stderr)
	}
	deps := strings.Fields(string(out))
	// The list must be the real one: it holds the CLI the binary runs.
	if !slices.Contains(deps, "github.com/drover-ml/drover/internal/cli") {
		t.Fatalf("go list -deps ./cmd/drover lacks internal/cli:\n%s", out)
	}
	for _, d := range deps {
		if strings.Contains(d, "hibiken/asynq") || d == "github.com/drover-ml/drover/internal/bench" {
			t.Errorf("./cmd/drover depends on %s", d)
		}
	}
}
