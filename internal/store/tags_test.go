package store

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
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

// TestListExperimentTagDrivers: a tag filter gives the same pages whichever
// way the query reads experiment_tags (driving a seq-sorted page, probed
// row by row for a common tag, or collected for a rare one), in every sort
// and direction, alone and with an owner, a q, statuses and a small page.
func TestListExperimentTagDrivers(t *testing.T) {
	ctx := context.Background()
	st := openTemp(t)
	mkDatasets(t, st, "ds_0")
	type row struct {
		id, owner, name string
		tags            []string
		score           float64 // -1: none
		status          protocol.Status
		seq             int
	}
	var rows []row
	for i := range 120 {
		r := row{id: fmt.Sprintf("ex_%03d", i), owner: []string{"alice", "bob", "carol"}[i%3], name: fmt.Sprintf("run %d", i),
			score: -1, status: protocol.StatusQueued, seq: i}
		if i%2 == 0 {
			r.tags = append(r.tags, "common")
		}
		if i%17 == 0 {
			r.tags = append(r.tags, "rare")
		}
		e := &Experiment{ID: r.id, Owner: r.owner, Spec: protocol.Spec{DatasetID: "ds_0", Target: "y", Name: r.name}, Status: r.status,
			Tags: r.tags, CreatedAt: time.Date(2026, 1, 1, 0, 0, i, 0, time.UTC)}
		if i%5 != 0 {
			r.status, r.score = protocol.StatusSucceeded, float64((i*37)%11)/10 // ties on purpose
			e.Status = r.status
			e.Summary = json.RawMessage(fmt.Sprintf(`{"task":"binary","scorer":"auc","leaderboard":[],"best":{"model":"gbm","cv_score":%g}}`, r.score))
		}
		if err := st.CreateExperiment(ctx, e); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, r)
	}
	reference := func(f ExperimentFilter, p Page) []string {
		var keep []row
		for _, r := range rows {
			if slices.Contains(r.tags, f.Tag) && (f.Owner == "" || r.owner == f.Owner) && (f.Q == "" || strings.Contains(r.name, f.Q)) &&
				(len(f.Statuses) == 0 || slices.Contains(f.Statuses, r.status)) {
				keep = append(keep, r)
			}
		}
		slices.SortFunc(keep, func(a, b row) int {
			pa, pb := Position{Seq: int64(a.seq), Key: float64(a.seq)}, Position{Seq: int64(b.seq), Key: float64(b.seq)}
			if p.Sort == SortScore {
				pa, pb = Position{Seq: int64(a.seq), Key: a.score, Null: a.score < 0}, Position{Seq: int64(b.seq), Key: b.score, Null: b.score < 0}
			}
			return comparePos(pa, pb, p.Asc)
		})
		var ids []string
		for _, r := range keep {
			ids = append(ids, r.id)
		}
		return ids
	}
	check := func(how string) {
		t.Helper()
		for _, tag := range []string{"common", "rare", "none"} {
			for _, f := range []ExperimentFilter{{Tag: tag}, {Tag: tag, Owner: "bob"}, {Tag: tag, Q: "run 1"}, {Tag: tag, Statuses: statusesOf("queued", "succeeded")}} {
				for _, p := range []Page{{Limit: 7}, {Limit: 7, Asc: true}, {Limit: 4, Sort: SortScore}, {Limit: 50, Sort: SortScore, Asc: true}} {
					want := reference(f, p)
					if got := walkExperiments(t, st, f, p); !slices.Equal(got, want) {
						t.Errorf("%s: filter %+v page %+v:\n got %v\nwant %v", how, f, p, got, want)
					}
				}
			}
		}
	}
	check("common collected") // 60 tagged rows, under tagProbeMin
	old := tagProbeMin
	tagProbeMin = 10
	defer func() { tagProbeMin = old }()
	check("common probed")
}
