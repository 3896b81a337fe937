package server_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/drover-ml/drover/api"
	"github.com/drover-ml/drover/internal/protocol"
	"github.com/drover-ml/drover/internal/store"
)

// TestSearchIndexMergedAtStart: experiments created one by one leave the
// search index in many segments (it merges none inside creates); a server
// that starts on such a store merges them in the background, and q= still
// finds what it found before.
func TestSearchIndexMergedAtStart(t *testing.T) {
	cfg := newConfig(t)
	h := start(t, cfg)
	ds := h.upload(examples("iris.csv"))
	h.srv.Stop()

	ctx := context.Background()
	path := filepath.Join(cfg.DataDirectory, "drover.db")
	st, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 400 {
		e := &store.Experiment{
			ID:        fmt.Sprintf("ex_%03d", i),
			Spec:      protocol.Spec{DatasetID: ds.ID, Target: "species", Name: fmt.Sprintf("night run %d", i)},
			Status:    protocol.StatusSucceeded,
			CreatedAt: t0.Add(time.Duration(i) * time.Second),
		}
		if err := st.CreateExperiment(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	before, err := st.SearchIndexSegments(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	if before < 5 {
		t.Fatalf("%d segments after 400 creates: the test needs an unmerged index", before)
	}

	h = start(t, cfg)
	st, err = store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	after := before
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if after, err = st.SearchIndexSegments(ctx); err != nil {
			t.Fatal(err)
		}
		if after < before {
			break
		}
	}
	if after >= before {
		t.Fatalf("search index still in %d segments a minute after the start", after)
	}
	page, err := h.cl.ListExperimentsPage(ctx, api.ListOptions{Q: "run 39", Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 11 { // run 39 and run 390-399
		t.Fatalf("q=run 39 after the merge: %d experiments, want 11", len(page.Items))
	}
}
