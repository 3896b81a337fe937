package server_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/drover-ml/drover/api"
)

// actorOf is the actor of the first event with message msg ("-" if none).
func actorOf(evs []api.Event, msg string) string {
	for _, ev := range evs {
		if ev.Message == msg {
			return ev.Actor
		}
	}
	return "-"
}

// Events name who queued, cancelled (queued or running), renamed an
// experiment and deleted its dataset, as a structured actor; events of the
// system (the attempt starting, a finished run) have none.
func TestEventActors(t *testing.T) {
	cfg := commandConfig(t)
	cfg.APIToken = "root-token-for-tests"
	cfg.WorkerLocalProcessors = 1
	h := start(t, cfg)
	ctx := context.Background()
	at, err := h.cl.CreateUser(ctx, "alice", false)
	if err != nil {
		t.Fatal(err)
	}
	alice := api.NewClient(h.srv.URL(), at.Token)
	ds, err := alice.UploadDataset(ctx, examples("iris.csv"), nil)
	if err != nil {
		t.Fatal(err)
	}
	gate := filepath.Join(t.TempDir(), "go")
	running, err := alice.CreateExperiment(ctx, api.Spec{DatasetID: ds.ID, Command: "while [ ! -f " + gate + " ]; do sleep 0.05; done"})
	if err != nil {
		t.Fatal(err)
	}
	h.waitStatus(running.ID, api.StatusRunning)
	queued, err := alice.CreateExperiment(ctx, api.Spec{DatasetID: ds.ID, Command: "true"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.cl.CancelExperiment(ctx, queued.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.CancelExperiment(ctx, running.ID); err != nil {
		t.Fatal(err)
	}
	done, err := alice.CreateExperiment(ctx, api.Spec{DatasetID: ds.ID, Command: "true"})
	if err != nil {
		t.Fatal(err)
	}
	h.wait(done.ID)
	if _, err := alice.RenameExperiment(ctx, done.ID, "kept"); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(gate, nil, 0o644)
	if err := alice.DeleteDataset(ctx, ds.ID); err != nil {
		t.Fatal(err)
	}

	evs, _ := alice.Events(ctx, queued.ID, 0)
	if a := actorOf(evs, "queued by alice"); a != "alice" {
		t.Errorf("queued: actor %q", a)
	}
	if a := actorOf(evs, "cancelled by admin while queued"); a != "admin" {
		t.Errorf("cancelled while queued: actor %q (%+v)", a, evs)
	}
	evs, _ = alice.Events(ctx, running.ID, 0)
	var cancelled, started *api.Event
	for i, ev := range evs {
		switch ev.Status {
		case api.StatusCancelled:
			cancelled = &evs[i]
		case api.StatusRunning:
			started = &evs[i]
		}
	}
	if cancelled == nil || cancelled.Actor != "alice" || cancelled.Error == nil || cancelled.Error.Message != "cancelled by alice" {
		t.Errorf("cancelled while running: %+v", cancelled)
	}
	if started == nil || started.Actor != "" {
		t.Errorf("the attempt's start is the system's, not a user's: %+v", started)
	}
	evs, _ = alice.Events(ctx, done.ID, 0)
	if a := actorOf(evs, `renamed to "kept" by alice`); a != "alice" {
		t.Errorf("renamed: actor %q", a)
	}
	if a := actorOf(evs, "dataset "+ds.ID+" (iris.csv) deleted by alice"); a != "alice" {
		t.Errorf("dataset deleted: actor %q", a)
	}
}
