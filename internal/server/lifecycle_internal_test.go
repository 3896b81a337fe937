package server

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/drover-ml/drover/internal/config"
	"github.com/drover-ml/drover/internal/protocol"
	"github.com/drover-ml/drover/internal/store"
)

// Cancelling an experiment that is no longer queued changes nothing and
// says nothing: one "cancelled" event for one transition, however many
// cancels race (the API's and the queue's "cancelled" message).
func TestCancelQueuedEmitsOnlyOnTransition(t *testing.T) {
	cfg := config.Default()
	cfg.DataDirectory = t.TempDir()
	ctx := context.Background()
	s, err := New(ctx, &cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	e := &store.Experiment{ID: "ex_cancel_twice", Spec: protocol.Spec{Command: "true"}, Status: protocol.StatusQueued, Queue: "cpu", CreatedAt: time.Now().UTC()}
	if err := s.store.CreateExperiment(ctx, e); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := s.cancelQueued(ctx, e.ID, "alice"); err != nil {
			t.Fatal(err)
		}
	}
	evs, err := s.store.Events(ctx, e.ID, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ev := range evs {
		if ev.Type == protocol.EventStatus && ev.Status == protocol.StatusCancelled {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d cancelled events after three cancels of one queued experiment, want 1: %+v", n, evs)
	}
	got, err := s.store.GetExperiment(ctx, e.ID)
	if err != nil || got.Status != protocol.StatusCancelled {
		t.Fatalf("experiment %+v %v, want cancelled", got, err)
	}
}
