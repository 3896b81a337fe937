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

func openTemp(t *testing.T) *Store {
	t.Helper()
	st, err := Open(context.Background(), filepath.Join(t.TempDir(), "drover.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// mkDatasets records datasets of these ids (experiments need theirs).
func mkDatasets(t *testing.T, st *Store, ids ...string) {
	t.Helper()
	for _, id := range ids {
		if err := st.CreateDataset(context.Background(), &Dataset{ID: id, Name: id + ".csv", SHA256: id, CreatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
}

// walk reads every page of a list and returns the ids in order.
func walkExperiments(t *testing.T, st *Store, f ExperimentFilter, p Page) []string {
	t.Helper()
	var ids []string
	for range 1000 {
		rows, err := st.ListExperimentPage(context.Background(), f, p)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			ids = append(ids, r.ID)
		}
		if len(rows) < p.Limit {
			return ids
		}
		p.After = &rows[len(rows)-1].Pos
	}
	t.Fatal("no end of pages")
	return nil
}

func TestListExperimentPages(t *testing.T) {
	ctx := context.Background()
	st := openTemp(t)
	mkDatasets(t, st, "ds_0", "ds_1", "ds_2")
	statuses := []protocol.Status{protocol.StatusQueued, protocol.StatusRunning, protocol.StatusSucceeded, protocol.StatusFailed}
	var all []string // oldest first
	want := map[string][]string{}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 53 {
		e := &Experiment{
			ID:        fmt.Sprintf("ex_%03d", i),
			Spec:      protocol.Spec{DatasetID: fmt.Sprintf("ds_%d", i%3), Target: "y", Name: fmt.Sprintf("run %d", i)},
			Status:    statuses[i%4],
			CreatedAt: t0.Add(time.Duration(i) * time.Second),
		}
		if i == 7 {
			e.Spec.Name = "100%_sure" // LIKE's wildcards are matched literally
		}
		if e.Status == protocol.StatusSucceeded {
			e.Summary = json.RawMessage(fmt.Sprintf(`{"task":"binary","scorer":"auc","leaderboard":[],"best":{"model":"gbm","cv_score":0.%d}}`, i))
		}
		if err := st.CreateExperiment(ctx, e); err != nil {
			t.Fatal(err)
		}
		all = append(all, e.ID)
		want[string(e.Status)] = append(want[string(e.Status)], e.ID)
		want[e.Spec.DatasetID] = append(want[e.Spec.DatasetID], e.ID)
	}
	newest := slices.Clone(all)
	slices.Reverse(newest)
	rev := func(s []string) []string { s = slices.Clone(s); slices.Reverse(s); return s }

	for _, limit := range []int{1, 7, 53, 100} {
		if got := walkExperiments(t, st, ExperimentFilter{}, Page{Limit: limit}); !slices.Equal(got, newest) {
			t.Fatalf("limit %d, newest first: %v", limit, got)
		}
		if got := walkExperiments(t, st, ExperimentFilter{}, Page{Limit: limit, Asc: true}); !slices.Equal(got, all) {
			t.Fatalf("limit %d, oldest first: %v", limit, got)
		}
	}
	one := ExperimentFilter{Statuses: []protocol.Status{protocol.StatusSucceeded}}
	if got := walkExperiments(t, st, one, Page{Limit: 4}); !slices.Equal(got, rev(want["succeeded"])) {
		t.Fatalf("succeeded: %v, want %v", got, rev(want["succeeded"]))
	}
	two := ExperimentFilter{Statuses: []protocol.Status{protocol.StatusQueued, protocol.StatusFailed}}
	var both []string
	for _, id := range newest {
		if slices.Contains(want["queued"], id) || slices.Contains(want["failed"], id) {
			both = append(both, id)
		}
	}
	if got := walkExperiments(t, st, two, Page{Limit: 5}); !slices.Equal(got, both) {
		t.Fatalf("queued,failed: %v, want %v", got, both)
	}
	if got := walkExperiments(t, st, two, Page{Limit: 5, Asc: true}); !slices.Equal(got, rev(both)) {
		t.Fatalf("queued,failed oldest first: %v", got)
	}
	ds := ExperimentFilter{DatasetID: "ds_1", Statuses: []protocol.Status{protocol.StatusRunning}}
	var dsRunning []string
	for _, id := range rev(want["ds_1"]) {
		if slices.Contains(want["running"], id) {
			dsRunning = append(dsRunning, id)
		}
	}
	if got := walkExperiments(t, st, ds, Page{Limit: 2}); !slices.Equal(got, dsRunning) || len(dsRunning) == 0 {
		t.Fatalf("ds_1 running: %v, want %v", got, dsRunning)
	}
	if got := walkExperiments(t, st, ExperimentFilter{Q: "%_"}, Page{Limit: 10}); !slices.Equal(got, []string{"ex_007"}) {
		t.Fatalf("q %%_: %v, want only ex_007", got)
	}
	if got := walkExperiments(t, st, ExperimentFilter{Q: "RUN 5"}, Page{Limit: 10}); !slices.Equal(got, []string{"ex_052", "ex_051", "ex_050", "ex_005"}) {
		t.Fatalf("q RUN 5: %v", got)
	}
	if got := walkExperiments(t, st, ExperimentFilter{Q: "ex_04"}, Page{Limit: 10}); len(got) != 10 {
		t.Fatalf("q by id: %v", got)
	}

	// Rows carry the best score, not the summary.
	rows, err := st.ListExperimentPage(ctx, one, Page{Limit: 1})
	if err != nil || len(rows) != 1 {
		t.Fatal(rows, err)
	}
	r := rows[0]
	if r.Summary != nil || r.BestScore == nil || r.BestModel != "gbm" || r.Scorer != "auc" || r.Task != "binary" {
		t.Fatalf("row %+v", r)
	}
	if r.Spec.DatasetID == "" || r.CreatedAt.IsZero() {
		t.Fatalf("row lost fields: %+v", r)
	}

	counts, err := st.CountQueued(ctx)
	if err != nil || counts["cpu"]+counts["gpu"] != 0 || counts[""] != len(want["queued"]) {
		t.Fatalf("counts %v, %v (queue column unset in this test)", counts, err)
	}
	if n, err := st.CountQueuedOf(ctx, ""); err != nil || n != len(want["queued"]) {
		t.Fatalf("queued of \"\": %d, %v", n, err)
	}
	last, err := st.LastInteraction(ctx)
	if err != nil || !last.Equal(t0.Add(52*time.Second)) {
		t.Fatalf("last interaction %v, %v", last, err)
	}
	fin := t0.Add(time.Hour)
	if _, err := st.UpdateExperiment(ctx, "ex_003", func(e *Experiment) error { e.FinishedAt = &fin; return nil }); err != nil {
		t.Fatal(err)
	}
	if last, _ := st.LastInteraction(ctx); !last.Equal(fin) {
		t.Fatalf("last interaction after a finish: %v", last)
	}
}

func TestListDatasetPages(t *testing.T) {
	ctx := context.Background()
	st := openTemp(t)
	var all []string
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 12 {
		// Same second, sub-second parts of varying length: the order is the
		// upload order all the same.
		d := &Dataset{ID: fmt.Sprintf("ds_%02d", i), Name: fmt.Sprintf("file%d.csv", i), SHA256: "x", Size: 10, Rows: 3,
			Columns: []Column{{Name: "a"}, {Name: "b"}}, CreatedAt: t0.Add(time.Duration(i*37) * time.Millisecond)}
		if err := st.CreateDataset(ctx, d); err != nil {
			t.Fatal(err)
		}
		all = append(all, d.ID)
	}
	var got []string
	p := Page{Limit: 5}
	for {
		rows, err := st.ListDatasetPage(ctx, DatasetFilter{}, p)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if r.ColumnCount != 2 || r.Rows != 3 {
				t.Fatalf("row %+v", r)
			}
			got = append(got, r.ID)
		}
		if len(rows) < p.Limit {
			break
		}
		p.After = &Position{Seq: rows[len(rows)-1].Seq}
	}
	slices.Reverse(got)
	if !slices.Equal(got, all) {
		t.Fatalf("datasets newest first, reversed: %v, want %v", got, all)
	}
	rows, err := st.ListDatasetPage(ctx, DatasetFilter{Q: "FILE1"}, Page{Limit: 10})
	if err != nil || len(rows) != 3 { // file1, file10, file11
		t.Fatalf("q FILE1: %+v, %v", rows, err)
	}
}

// Sorts by score and duration: values in the direction, ties by seq, the
// rows without a value last in either direction; pages of any size, across
// one status or several, walk exactly the whole order.
func TestListExperimentSorts(t *testing.T) {
	ctx := context.Background()
	st := openTemp(t)
	mkDatasets(t, st, "ds")
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	type row struct {
		id     string
		seq    int
		score  *float64
		dur    *float64
		status protocol.Status
		owner  string
	}
	var rows []row
	for i := range 40 {
		e := &Experiment{ID: fmt.Sprintf("ex_%02d", i), Spec: protocol.Spec{DatasetID: "ds", Target: "y", Priority: []string{"", "high", "low"}[i%3]},
			Status: protocol.StatusQueued, CreatedAt: t0.Add(time.Duration(i) * time.Second), Owner: []string{"alice", "bob"}[i%2], WorkerName: fmt.Sprintf("w%d", i%4)}
		r := row{id: e.ID, seq: i, status: e.Status, owner: e.Owner}
		if i%5 != 0 { // finished: a duration; every fifth stays queued
			s := t0.Add(time.Hour)
			f := s.Add(time.Duration(i%7) * time.Second) // ties on purpose
			e.StartedAt, e.FinishedAt, e.Status = &s, &f, protocol.StatusFailed
			d := float64(i % 7)
			r.dur, r.status = &d, e.Status
			if i%2 == 1 {
				sc := float64(i%4) / 10 // ties too
				e.Status, r.status, r.score = protocol.StatusSucceeded, protocol.StatusSucceeded, &sc
				e.Summary = json.RawMessage(fmt.Sprintf(`{"task":"regression","scorer":"rmse","best":{"model":"glm","cv_score":%g}}`, sc))
			}
		}
		if err := st.CreateExperiment(ctx, e); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, r)
	}
	want := func(key func(row) *float64, asc bool, keep func(row) bool) []string {
		var sel []row
		for _, r := range rows {
			if keep(r) {
				sel = append(sel, r)
			}
		}
		slices.SortFunc(sel, func(a, b row) int {
			ka, kb := key(a), key(b)
			pa, pb := Position{Seq: int64(a.seq), Null: ka == nil}, Position{Seq: int64(b.seq), Null: kb == nil}
			if ka != nil {
				pa.Key = *ka
			}
			if kb != nil {
				pb.Key = *kb
			}
			return comparePos(pa, pb, asc)
		})
		ids := []string{}
		for _, r := range sel {
			ids = append(ids, r.id)
		}
		return ids
	}
	all := func(row) bool { return true }
	score := func(r row) *float64 { return r.score }
	dur := func(r row) *float64 { return r.dur }
	// comparePos itself: values before nulls in both directions
	one := 1.0
	if comparePos(Position{Key: one}, Position{Null: true}, true) >= 0 || comparePos(Position{Key: one}, Position{Null: true}, false) >= 0 {
		t.Fatal("a value does not come before a null")
	}
	for _, asc := range []bool{false, true} {
		for _, limit := range []int{1, 3, 7, 40, 100} {
			for _, tc := range []struct {
				name string
				sort string
				key  func(row) *float64
				f    ExperimentFilter
				keep func(row) bool
			}{
				{"score", SortScore, score, ExperimentFilter{}, all},
				{"duration", SortDuration, dur, ExperimentFilter{}, all},
				{"score of bob", SortScore, score, ExperimentFilter{Owner: "bob"}, func(r row) bool { return r.owner == "bob" }},
				{"duration, two statuses", SortDuration, dur, ExperimentFilter{Statuses: []protocol.Status{protocol.StatusQueued, protocol.StatusSucceeded}},
					func(r row) bool { return r.status == protocol.StatusQueued || r.status == protocol.StatusSucceeded }},
				{"score, three statuses, alice", SortScore, score, ExperimentFilter{Owner: "alice", Statuses: statusesOf("queued", "failed", "succeeded")},
					func(r row) bool { return r.owner == "alice" }},
			} {
				got := walkExperiments(t, st, tc.f, Page{Limit: limit, Sort: tc.sort, Asc: asc})
				if w := want(tc.key, asc, tc.keep); !slices.Equal(got, w) {
					t.Fatalf("%s asc=%v limit %d:\n got  %v\n want %v", tc.name, asc, limit, got, w)
				}
			}
		}
	}
	// the other filters
	for _, tc := range []struct {
		f    ExperimentFilter
		want int
	}{
		{ExperimentFilter{Task: "regression"}, 16}, {ExperimentFilter{Priority: "high"}, 13}, {ExperimentFilter{Priority: "normal"}, 14},
		{ExperimentFilter{Worker: "w1"}, 10}, {ExperimentFilter{Worker: "w1", Owner: "alice"}, 0}, {ExperimentFilter{Owner: "carol"}, 0},
		{ExperimentFilter{Owner: "bob", Q: "ex_1"}, 5},
	} {
		if got := walkExperiments(t, st, tc.f, Page{Limit: 4}); len(got) != tc.want {
			t.Errorf("%+v: %d rows %v, want %d", tc.f, len(got), got, tc.want)
		}
	}
	counts, err := st.CountByStatus(ctx, "alice")
	if err != nil || counts[protocol.StatusQueued] != 4 || counts[protocol.StatusFailed] != 16 || counts[protocol.StatusSucceeded] != 0 {
		t.Errorf("alice's counts %v %v", counts, err)
	}
	if n, err := st.CountQueuedOf(ctx, "bob"); err != nil || n != 4 {
		t.Errorf("bob's queued %d %v", n, err)
	}
	if o, err := st.ActiveOwners(ctx); err != nil || len(o) != 2 {
		t.Errorf("active owners %v %v", o, err)
	}
}

func statusesOf(s ...string) []protocol.Status {
	out := make([]protocol.Status, len(s))
	for i, v := range s {
		out[i] = protocol.Status(v)
	}
	return out
}

// Datasets: a user sees their own and the shared ones, never others'.
func TestListDatasetOwners(t *testing.T) {
	ctx := context.Background()
	st := openTemp(t)
	for i, o := range []string{"alice", "bob", "alice", "bob"} {
		d := &Dataset{ID: fmt.Sprintf("ds_%d", i), Name: "f.csv", SHA256: "x", Owner: o, Shared: i == 3, CreatedAt: time.Now()}
		if err := st.CreateDataset(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	ids := func(f DatasetFilter) []string {
		rows, err := st.ListDatasetPage(ctx, f, Page{Limit: 10, Asc: true})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range rows {
			out = append(out, r.ID)
		}
		return out
	}
	if got := ids(DatasetFilter{VisibleTo: "alice"}); !slices.Equal(got, []string{"ds_0", "ds_2", "ds_3"}) {
		t.Errorf("alice sees %v", got)
	}
	if got := ids(DatasetFilter{VisibleTo: "alice", Owner: "alice"}); !slices.Equal(got, []string{"ds_0", "ds_2"}) {
		t.Errorf("alice's own %v", got)
	}
	if got := ids(DatasetFilter{Owner: "bob"}); !slices.Equal(got, []string{"ds_1", "ds_3"}) {
		t.Errorf("bob's %v", got)
	}
	if n, err := st.CountDatasets(ctx, "bob"); err != nil || n != 2 {
		t.Errorf("bob counts %d %v", n, err)
	}
}

// The trigger-kept counts (0007) follow inserts, status and owner changes
// and deletes, and always equal a count of the table.
func TestCountsFollowChanges(t *testing.T) {
	ctx := context.Background()
	st := openTemp(t)
	mkDatasets(t, st, "ds")
	same := func(when string) {
		t.Helper()
		rows, err := st.db.QueryContext(ctx, `SELECT owner, status, queue, COUNT(*) FROM experiments GROUP BY owner, status, queue`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		want := map[string]int{}
		for rows.Next() {
			var o, s, q string
			var n int
			rows.Scan(&o, &s, &q, &n)
			want[o+"/"+s+"/"+q] = n
		}
		got := map[string]int{}
		crows, _ := st.db.QueryContext(ctx, `SELECT owner, status, queue, n FROM experiment_counts WHERE n != 0`)
		defer crows.Close()
		for crows.Next() {
			var o, s, q string
			var n int
			crows.Scan(&o, &s, &q, &n)
			got[o+"/"+s+"/"+q] = n
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%s: counts %v, table %v", when, got, want)
		}
	}
	for i := range 6 {
		e := &Experiment{ID: fmt.Sprintf("ex_%d", i), Spec: protocol.Spec{DatasetID: "ds"}, Status: protocol.StatusQueued, Queue: []string{"cpu", "gpu"}[i%2],
			Owner: []string{"alice", "bob", "carol"}[i%3], CreatedAt: time.Now()}
		if err := st.CreateExperiment(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	same("after inserts")
	for _, id := range []string{"ex_0", "ex_1"} {
		if _, err := st.UpdateExperiment(ctx, id, func(e *Experiment) error { e.Status = protocol.StatusCancelled; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.UpdateExperiment(ctx, "ex_2", func(e *Experiment) error { e.Progress = 0.5; return nil }); err != nil {
		t.Fatal(err)
	}
	same("after updates")
	if _, err := st.DeleteExperiment(ctx, "ex_0"); err != nil {
		t.Fatal(err)
	}
	same("after a delete")
	if c, err := st.CountByStatus(ctx, "alice"); err != nil || c[protocol.StatusQueued] != 1 || c[protocol.StatusCancelled] != 0 {
		t.Errorf("alice: %v %v", c, err)
	}
	if q, err := st.CountQueued(ctx); err != nil || q["cpu"] != 2 || q["gpu"] != 2 {
		t.Errorf("queued: %v %v", q, err)
	}
	if n, err := st.CountQueuedOf(ctx, "bob", "carol"); err != nil || n != 3 {
		t.Errorf("bob+carol queued: %d %v", n, err)
	}
}

// The tag filter (experiment_tags, 0008) follows tags set at insert, by
// updates and away by deletes; it pages with a cursor in every sort and
// combines with the other filters.
func TestListExperimentTag(t *testing.T) {
	ctx := context.Background()
	st := openTemp(t)
	mkDatasets(t, st, "ds_0")
	var want []string // newest first, tagged "nightly"
	for i := range 30 {
		e := &Experiment{ID: fmt.Sprintf("ex_%02d", i), Spec: protocol.Spec{DatasetID: "ds_0", Target: "y"},
			Status: protocol.StatusQueued, CreatedAt: time.Now()}
		if i%3 == 0 {
			e.Tags = []string{"nightly", "ü:b"}
		}
		if err := st.CreateExperiment(ctx, e); err != nil {
			t.Fatal(err)
		}
		if i%3 == 0 {
			want = append([]string{e.ID}, want...)
		}
	}
	page := Page{Limit: 4}
	if got := walkExperiments(t, st, ExperimentFilter{Tag: "nightly"}, page); !slices.Equal(got, want) {
		t.Fatalf("tag=nightly: %v, want %v", got, want)
	}
	if got := walkExperiments(t, st, ExperimentFilter{Tag: "Nightly"}, page); len(got) != 0 {
		t.Fatalf("tags match exactly, but Nightly found %v", got)
	}
	// Tags changed by an update: ex_00 loses nightly, ex_01 gains it.
	for id, tags := range map[string][]string{"ex_00": {"ü:b"}, "ex_01": {"nightly"}} {
		if _, err := st.UpdateExperiment(ctx, id, func(e *Experiment) error { e.Tags = tags; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	// An update that leaves the tags alone keeps the index as it was.
	if _, err := st.UpdateExperiment(ctx, "ex_03", func(e *Experiment) error { e.Status = protocol.StatusSucceeded; return nil }); err != nil {
		t.Fatal(err)
	}
	want = append(slices.DeleteFunc(want, func(id string) bool { return id == "ex_00" }), "ex_01")
	if got := walkExperiments(t, st, ExperimentFilter{Tag: "nightly"}, page); !slices.Equal(got, want) {
		t.Fatalf("after updates: %v, want %v", got, want)
	}
	if got := walkExperiments(t, st, ExperimentFilter{Tag: "nightly", Statuses: statusesOf("succeeded")}, page); !slices.Equal(got, []string{"ex_03"}) {
		t.Fatalf("tag and status: %v", got)
	}
	if got := walkExperiments(t, st, ExperimentFilter{Tag: "ü:b"}, Page{Limit: 3, Asc: true, Sort: SortScore}); len(got) != 10 || got[0] != "ex_00" {
		t.Fatalf("tag ü:b by score asc: %v", got)
	}
	var n int
	if err := st.rd.QueryRowContext(ctx, `SELECT COUNT(*) FROM experiment_tags`).Scan(&n); err != nil || n != 10+len(want) {
		t.Fatalf("experiment_tags has %d rows (%v), want %d", n, err, 10+len(want))
	}
	if _, err := st.DeleteExperiment(ctx, "ex_03"); err != nil {
		t.Fatal(err)
	}
	if got := walkExperiments(t, st, ExperimentFilter{Tag: "nightly", Statuses: statusesOf("succeeded")}, page); len(got) != 0 {
		t.Fatalf("deleted ex_03 still listed: %v", got)
	}
	if err := st.rd.QueryRowContext(ctx, `SELECT COUNT(*) FROM experiment_tags WHERE seq NOT IN (SELECT seq FROM experiments)`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d tag rows of deleted experiments (%v)", n, err)
	}
}

// q finds its text anywhere in name, target or id, taken literally and
// without regard to case, as a scan of every row would (the reference
// here): through the trigram index (0009) from 3 characters, through
// experiments_search below; the index follows renames and deletes.
func TestListExperimentSearch(t *testing.T) {
	ctx := context.Background()
	st := openTemp(t)
	mkDatasets(t, st, "ds_0")
	names := []string{`run "quoted" 1`, "Ünïcode Ärger", "AND OR NOT", "a*b", "100% done", "under_score", "plain run 2", "x", ""}
	for i, n := range names {
		e := &Experiment{ID: fmt.Sprintf("ex_%02d", i), Spec: protocol.Spec{DatasetID: "ds_0", Target: []string{"churn", "price", "y"}[i%3], Name: n},
			Status: protocol.StatusQueued, CreatedAt: time.Now()}
		if err := st.CreateExperiment(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	reference := func(q string) []string {
		var out []string
		for i := len(names) - 1; i >= 0; i-- {
			id := fmt.Sprintf("ex_%02d", i)
			if names[i] == "\x00deleted" {
				continue
			}
			target := []string{"churn", "price", "y"}[i%3]
			for _, s := range []string{names[i], target, id} {
				if strings.Contains(strings.ToLower(s), strings.ToLower(q)) {
					out = append(out, id)
					break
				}
			}
		}
		return out
	}
	queries := []string{`"quoted"`, `"`, `run "`, "ünïcode", "ärger", "AND", "or not", "a*b", "*", "100%", "% d", "under_", "_sc",
		"RUN", "run", "ex_0", "ex_", "hur", "ri", "x", "nothing here", "NEAR(a b)", "plain run 2", "n 2"}
	check := func(when string) {
		t.Helper()
		for _, q := range queries {
			want := reference(q)
			if got := walkExperiments(t, st, ExperimentFilter{Q: q}, Page{Limit: 3}); !slices.Equal(got, want) {
				t.Errorf("%s: q %q: %v, want %v", when, q, got, want)
			}
			if got := walkExperiments(t, st, ExperimentFilter{Q: q}, Page{Limit: 2, Asc: true}); !slices.Equal(got, reversed(want)) {
				t.Errorf("%s: q %q oldest first: %v, want %v", when, q, got, reversed(want))
			}
			// Filters before and after q in the query, and another sort.
			f := ExperimentFilter{Q: q, DatasetID: "ds_0", Statuses: statusesOf("queued", "succeeded")}
			if got := walkExperiments(t, st, f, Page{Limit: 2}); !slices.Equal(got, want) {
				t.Errorf("%s: q %q with dataset and statuses: %v, want %v", when, q, got, want)
			}
			if got := walkExperiments(t, st, f, Page{Limit: 2, Sort: SortScore}); len(got) != len(want) {
				t.Errorf("%s: q %q by score: %v, want the rows %v", when, q, got, want)
			}
		}
	}
	check("after insert")
	if _, err := st.UpdateExperiment(ctx, "ex_06", func(e *Experiment) error { e.Spec.Name = "renamed 100% AND"; return nil }); err != nil {
		t.Fatal(err)
	}
	names[6] = "renamed 100% AND"
	if _, err := st.UpdateExperiment(ctx, "ex_01", func(e *Experiment) error { e.Status = protocol.StatusSucceeded; return nil }); err != nil {
		t.Fatal(err)
	}
	check("after a rename and a status change")
	if _, err := st.UpdateExperiment(ctx, "ex_00", func(e *Experiment) error { e.Status = protocol.StatusSucceeded; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := st.DeleteExperiment(ctx, "ex_00"); err != nil {
		t.Fatal(err)
	}
	names[0] = "\x00deleted"
	check("after a delete")
	var n int
	if err := st.rd.QueryRowContext(ctx, `SELECT COUNT(*) FROM experiments_fts WHERE experiments_fts MATCH '"quo"'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("the deleted experiment is still in experiments_fts: %d %v", n, err)
	}
}

func reversed(s []string) []string {
	out := slices.Clone(s)
	slices.Reverse(out)
	return out
}
