package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/drover-ml/drover/internal/protocol"
)

// TestMergeSearchIndex: experiments created one by one leave the search
// index in many small segments (no automatic merging, 0010); merge steps
// bring them down to a few, then report no work left, and every search
// finds the same experiments as before.
func TestMergeSearchIndex(t *testing.T) {
	ctx := context.Background()
	st := openTemp(t)
	mkDatasets(t, st, "ds_0")
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 400 {
		e := &Experiment{
			ID:        fmt.Sprintf("ex_%03d", i),
			Spec:      protocol.Spec{DatasetID: "ds_0", Target: "y", Name: fmt.Sprintf("run %d of batch %d", i, i%7)},
			Status:    protocol.StatusQueued,
			CreatedAt: t0.Add(time.Duration(i) * time.Second),
		}
		if err := st.CreateExperiment(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	queries := []string{"run 1", "batch 3", "ex_2", "of b", "run 399"}
	before := map[string][]string{}
	for _, q := range queries {
		before[q] = walkExperiments(t, st, ExperimentFilter{Q: q}, Page{Limit: 50})
	}
	segs, err := st.SearchIndexSegments(ctx)
	if err != nil {
		t.Fatal(err)
	}
	steps := 0
	for ; steps < 1000; steps++ {
		worked, err := st.MergeSearchIndex(ctx, 50)
		if err != nil {
			t.Fatal(err)
		}
		if !worked {
			break
		}
	}
	after, err := st.SearchIndexSegments(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("segments %d -> %d in %d steps", segs, after, steps)
	if steps == 0 || steps == 1000 || after >= segs || after > 4 {
		t.Fatalf("segments %d -> %d in %d merge steps", segs, after, steps)
	}
	for _, q := range queries {
		if got := walkExperiments(t, st, ExperimentFilter{Q: q}, Page{Limit: 50}); fmt.Sprint(got) != fmt.Sprint(before[q]) {
			t.Fatalf("q=%q after merging: %v, before: %v", q, got, before[q])
		}
	}
}

// BenchmarkSearchSegments: q= on an index left in many segments by
// experiments created one by one, then on the same index merged by
// MergeSearchIndex steps. Run: go test -run '^$' -bench SearchSegments
// -benchtime 200x ./internal/store/
func BenchmarkSearchSegments(b *testing.B) {
	ctx := context.Background()
	st, err := Open(ctx, b.TempDir()+"/bench.db")
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if err := st.CreateDataset(ctx, &Dataset{ID: "ds_0", Name: "d.csv", SHA256: fmt.Sprintf("%064d", 0), CreatedAt: time.Now()}); err != nil {
		b.Fatal(err)
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 20_000 {
		e := &Experiment{ID: fmt.Sprintf("ex_%05d", i), Spec: protocol.Spec{DatasetID: "ds_0", Target: "y", Name: fmt.Sprintf("run-%d", i)},
			Status: protocol.StatusSucceeded, CreatedAt: t0.Add(time.Duration(i) * time.Second)}
		if err := st.CreateExperiment(ctx, e); err != nil {
			b.Fatal(err)
		}
	}
	search := func(b *testing.B) {
		segs, err := st.SearchIndexSegments(ctx)
		if err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for i := range b.N {
			q := []string{"run-1", "run-99", "n-123", "run-19999"}[i%4]
			if _, err := st.ListExperimentPage(ctx, ExperimentFilter{Q: q}, Page{Limit: 50}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(segs), "segments")
	}
	b.Run("fragmented", search)
	for {
		worked, err := st.MergeSearchIndex(ctx, 200)
		if err != nil {
			b.Fatal(err)
		}
		if !worked {
			break
		}
	}
	b.Run("merged", search)
}
