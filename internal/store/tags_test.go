package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/drover-ml/drover/internal/protocol"
)

// Tags and an event's actor (migration 0005) round-trip; an experiment
// without tags reads back with none.
func TestTagsAndActor(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "drover.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	e := &Experiment{ID: "ex_t", Status: protocol.StatusQueued, CreatedAt: time.Now().UTC()}
	if err := st.CreateExperiment(ctx, e); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.GetExperiment(ctx, "ex_t"); got.Tags != nil {
		t.Fatalf("new experiment has tags %q", got.Tags)
	}
	if _, err := st.UpdateExperiment(ctx, "ex_t", func(e *Experiment) error { e.Tags = []string{"a", "ü:b"}; return nil }); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.GetExperiment(ctx, "ex_t"); len(got.Tags) != 2 || got.Tags[1] != "ü:b" {
		t.Fatalf("tags read back as %q", got.Tags)
	}
	if _, err := st.AppendEvent(ctx, "ex_t", protocol.Event{Time: time.Now(), Type: protocol.EventLog, Message: "m", Actor: "alice"}); err != nil {
		t.Fatal(err)
	}
	evs, err := st.Events(ctx, "ex_t", 0, 0)
	if err != nil || len(evs) != 1 || evs[0].Actor != "alice" {
		t.Fatalf("events %+v %v", evs, err)
	}
}
