package server_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/drover-ml/drover/api"
	"github.com/drover-ml/drover/internal/config"
	"github.com/drover-ml/drover/internal/testutil"
)

// refusedCommand checks that experiment id failed with command_not_allowed
// and that its command never ran (marker absent).
func refusedCommand(t *testing.T, h *harness, id, marker string) {
	t.Helper()
	e := h.wait(id)
	if e.Status != api.StatusFailed || e.Error == nil || e.Error.Code != "command_not_allowed" {
		t.Errorf("experiment %s: %s %+v, want failed command_not_allowed", id, e.Status, e.Error)
	}
	if marker != "" {
		if _, err := os.Stat(marker); err == nil {
			t.Errorf("experiment %s's command ran (%s exists)", id, marker)
		}
	}
}

// submitRefused checks that a new command experiment is refused at once.
func submitRefused(t *testing.T, h *harness, ds *api.Dataset) {
	t.Helper()
	_, err := h.cl.CreateExperiment(context.Background(), api.Spec{DatasetID: ds.ID, Command: "true"})
	var ae *api.Error
	if !errors.As(err, &ae) || ae.Code != "command_not_allowed" {
		t.Errorf("command experiment with the switch off: %v, want command_not_allowed", err)
	}
}

// Restarting with allow_command_experiments = false stops command
// experiments queued (and the one running) under the old configuration.
func TestCommandSwitchRestart(t *testing.T) {
	cfg := newConfig(t)
	cfg.AllowCommandExperiments = true
	cfg.WorkerLocalProcessors = 1
	h := start(t, cfg)
	ds := h.upload(examples("iris.csv"))
	dir := t.TempDir()
	running := h.create(api.Spec{DatasetID: ds.ID, Command: "touch " + dir + "/started-$DROVER_ATTEMPT; sleep 120"})
	h.waitStatus(running.ID, api.StatusRunning)
	marker := filepath.Join(dir, "queued-ran")
	queued := h.create(api.Spec{DatasetID: ds.ID, Command: "touch " + marker})
	h.srv.Stop()

	off := *cfg
	off.AllowCommandExperiments = false
	h2 := start(t, &off)
	refusedCommand(t, h2, queued.ID, marker)
	refusedCommand(t, h2, running.ID, filepath.Join(dir, "started-2"))
	submitRefused(t, h2, ds)
	h2.stillServing()
}

// The case: a singlenode server with the switch off refuses command
// experiments; one queued in singlenode with it on never runs after a
// restart in the default mode with it off, nor after one in singlenode.
func TestCommandSwitchAcrossModes(t *testing.T) {
	r := testutil.StartRedis(t)
	_, port, _ := net.SplitHostPort(r.Addr())
	single := newConfig(t)
	single.WorkerMode = config.ModeSinglenode
	single.RedisPort, _ = strconv.Atoi(port)
	h := start(t, single)
	ds := h.upload(examples("iris.csv"))
	submitRefused(t, h, ds)
	h.srv.Stop()

	on := *single
	on.AllowCommandExperiments = true
	h = start(t, &on)
	dir := t.TempDir()
	m1, m2 := filepath.Join(dir, "one"), filepath.Join(dir, "two")
	first := h.create(api.Spec{DatasetID: ds.ID, Command: "touch " + m1})
	second := h.create(api.Spec{DatasetID: ds.ID, Command: "touch " + m2})
	h.srv.Stop()

	// Default mode, switch off, same data directory.
	local := *single
	local.WorkerMode = config.ModeMultiprocessing
	h = start(t, &local)
	refusedCommand(t, h, first.ID, m1)
	refusedCommand(t, h, second.ID, m2)
	h.stillServing()
	h.srv.Stop()

	// Queued in singlenode, restarted in singlenode with the switch off:
	// failed at start and taken out of the Redis queue.
	h = start(t, &on)
	third := h.create(api.Spec{DatasetID: ds.ID, Command: "touch " + m1})
	h.srv.Stop()
	h = start(t, single)
	refusedCommand(t, h, third.ID, m1)
	h.stillServing()
}
