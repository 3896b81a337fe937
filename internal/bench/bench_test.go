package bench_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/drover-ml/drover/internal/bench"
	"github.com/drover-ml/drover/internal/cli"
)

// TestMain lets the test binary stand in for the drover and drover-bench
// binaries: the bench starts `drover worker` and `drover-bench
// asynq-worker` processes, and the workers start `drover run-experiment`
// children of the same executable.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "worker", "run-experiment":
			os.Exit(cli.Execute(os.Args[1:]))
		case "asynq-worker":
			os.Exit(bench.Main(os.Args[1:], os.Stdout, os.Stderr))
		}
	}
	os.Exit(m.Run())
}

// TestRunTiny runs every scenario at a tiny size: it checks that the bench
// works end to end, not the figures (2 shared cores are too noisy for that).
func TestRunTiny(t *testing.T) {
	if testing.Short() {
		t.Skip("starts worker processes; about 20 s")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var progress bytes.Buffer
	rep, err := bench.Run(ctx, bench.Options{
		Dir:          t.TempDir(),
		Samples:      10,
		AsynqSamples: 2,
		PickupGap:    10 * time.Millisecond,
		N:            50,
		Workers:      2,
		Slots:        2,
		IdleWorkers:  2,
		// asynq's idle servers poll every 0.5–1.5 s: a window of a few
		// seconds always sees some of their commands.
		IdleFor:    4 * time.Second,
		IdleSettle: 300 * time.Millisecond,
		MemoryN:    50,
		// Recovery on a short lease, to keep the test short.
		WorkerEnv: []string{"DROVER_WORKER_LEASE_PERIOD=3", "DROVER_WORKER_HEARTBEAT_INTERVAL=1"},
		Progress:  &progress,
	})
	if errors.Is(err, bench.ErrNoRedis) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("redis-server not on PATH (CI=true, so this fails rather than skips)")
		}
		t.Skip("redis-server not on PATH")
	}
	if err != nil {
		t.Fatalf("%v\n%s", err, progress.String())
	}
	if rep.Pickup == nil || rep.Pickup.Drover.N != 10 || rep.Pickup.Asynq.N != 2 || rep.Pickup.DroverChildRunning.N != 10 {
		t.Errorf("pickup: %+v", rep.Pickup)
	}
	if p := rep.Pickup; p != nil && (p.Drover.P50 <= 0 || p.DroverChildRunning.P50 < p.Drover.P50) {
		t.Errorf("pickup: child running (%v ms) before started (%v ms)?", p.DroverChildRunning.P50, p.Drover.P50)
	}
	if tp := rep.Throughput; tp == nil || tp.Drover <= 0 || tp.Asynq <= 0 || tp.DroverAcked <= 0 {
		t.Errorf("throughput: %+v", rep.Throughput)
	}
	if r := rep.Recovery; r == nil || r.DroverSeconds <= 0 || r.DroverSeconds > 10 || r.AsynqSeconds != nil {
		t.Errorf("recovery on a 3 s lease: %+v", rep.Recovery)
	}
	if i := rep.Idle; i == nil || i.Drover <= 0 || i.Asynq <= 0 {
		t.Errorf("idle: %+v", rep.Idle)
	}
	if m := rep.Memory; m == nil || m.DroverKeysDelta != 0 {
		t.Errorf("memory: drover left keys behind: %+v", rep.Memory)
	}
	if len(rep.Checks) != 5 {
		t.Errorf("checks: %+v", rep.Checks)
	}
	var table bytes.Buffer
	if err := rep.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"pickup", "throughput", "recovery", "idle", "memory", "MET"} {
		if !strings.Contains(table.String(), s) {
			t.Errorf("table lacks %q:\n%s", s, table.String())
		}
	}
	if _, err := json.Marshal(rep); err != nil {
		t.Error(err)
	}
	t.Logf("\n%s", table.String())
}

func TestUnknownScenario(t *testing.T) {
	_, err := bench.Run(context.Background(), bench.Options{Only: []string{"nope"}})
	if err == nil || !strings.Contains(err.Error(), "unknown scenario") {
		t.Fatalf("got %v", err)
	}
}

// TestMainUsage checks drover-bench's command line: bad usage exits 2 with
// a message naming what is wrong.
func TestMainUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"asynq-worker"}, "--redis is required"},
		{[]string{"queue", "--no-such-flag"}, "no-such-flag"},
		{[]string{"nope"}, "unknown command"},
	} {
		var stdout, stderr bytes.Buffer
		if code := bench.Main(tc.args, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("drover-bench %v: exit %d, stderr %q; want 2 and %q", tc.args, code, stderr.String(), tc.want)
		}
	}
}
