package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/drover-ml/drover/internal/protocol"
)

// A dataset is deleted only when no queued or running experiment uses it;
// once its row is gone no experiment can be created on it; a finished
// experiment goes with its events and attempts, an unfinished one stays.
func TestDeleteRules(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "drover.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now().UTC()
	for _, id := range []string{"ds_a", "ds_b"} {
		if err := st.CreateDataset(ctx, &Dataset{ID: id, Name: id, SHA256: "same", CreatedAt: now, Owner: "alice"}); err != nil {
			t.Fatal(err)
		}
	}
	run := &Experiment{ID: "ex_run", Spec: protocol.Spec{DatasetID: "ds_a"}, Status: protocol.StatusRunning, CreatedAt: now, Owner: "alice"}
	if err := st.CreateExperiment(ctx, run); err != nil {
		t.Fatal(err)
	}
	var inUse *InUseError
	if _, _, err := st.DeleteDataset(ctx, "ds_a"); !errors.As(err, &inUse) || inUse.Count != 1 || inUse.IDs[0] != "ex_run" || inUse.Owners[0] != "alice" {
		t.Fatalf("delete a dataset in use: %v %+v", err, inUse)
	}
	if _, err := st.DeleteExperiment(ctx, "ex_run"); !errors.Is(err, ErrNotFinished) {
		t.Fatalf("delete a running experiment: %v", err)
	}
	if _, err := st.AppendEvent(ctx, "ex_run", protocol.Event{Time: now, Type: protocol.EventLog, Message: "x"}); err != nil {
		t.Fatal(err)
	}
	if err := st.StartAttempt(ctx, "ex_run", 1, "w", now); err != nil {
		t.Fatal(err)
	}
	if _, err := st.UpdateExperiment(ctx, "ex_run", func(e *Experiment) error { e.Status = protocol.StatusSucceeded; return nil }); err != nil {
		t.Fatal(err)
	}
	ds, shared, err := st.DeleteDataset(ctx, "ds_a")
	if err != nil || ds.ID != "ds_a" || !shared {
		t.Fatalf("delete ds_a: %+v %v %v, want deleted with its content still named by ds_b", ds, shared, err)
	}
	if err := st.CreateExperiment(ctx, &Experiment{ID: "ex_late", Spec: protocol.Spec{DatasetID: "ds_a"}, Status: protocol.StatusQueued, CreatedAt: now}); !errors.Is(err, ErrDatasetGone) {
		t.Fatalf("experiment on a deleted dataset: %v, want ErrDatasetGone", err)
	}
	if _, err := st.GetExperiment(ctx, "ex_late"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("refused experiment stored: %v", err)
	}
	if ids, err := st.ExperimentsOfDataset(ctx, "ds_a"); err != nil || len(ids) != 1 {
		t.Fatalf("experiments of ds_a: %v %v", ids, err)
	}
	if _, err := st.DeleteExperiment(ctx, "ex_run"); err != nil {
		t.Fatal(err)
	}
	if evs, _ := st.Events(ctx, "ex_run", 0, 0); len(evs) != 0 {
		t.Errorf("events left: %+v", evs)
	}
	if as, _ := st.Attempts(ctx, "ex_run"); len(as) != 0 {
		t.Errorf("attempts left: %+v", as)
	}
	if _, shared, err := st.DeleteDataset(ctx, "ds_b"); err != nil || shared {
		t.Fatalf("delete ds_b: %v %v, want the last row of its content", shared, err)
	}
	known, err := st.DatasetSHAs(ctx, []string{"same", "other"})
	if err != nil || len(known) != 0 {
		t.Fatalf("shas left: %v %v", known, err)
	}
	if _, _, err := st.DeleteDataset(ctx, "ds_b"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
}
