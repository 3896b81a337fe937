package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/drover-ml/drover/internal/protocol"
)

// The fixture testdata/v0-77055ae.db was written by the store of commit
// 77055ae (before migrations, when rows were JSON blobs of the REST types)
// with testdata/mkfixture.go.txt; v0-77055ae.golden.json is what that code
// read back from it. Opening the file must migrate it with nothing lost.

type oldError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

type oldDataset struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	SHA256    string    `json:"sha256"`
	Size      int64     `json:"size"`
	Rows      int       `json:"rows"`
	Columns   []Column  `json:"columns"`
	CreatedAt time.Time `json:"created_at"`
}

type oldExperiment struct {
	ID            string          `json:"id"`
	Spec          json.RawMessage `json:"spec"`
	Status        string          `json:"status"`
	FailureKind   string          `json:"failure_kind"`
	Error         *oldError       `json:"error"`
	Attempt       int             `json:"attempt"`
	Worker        string          `json:"worker"`
	WorkerName    string          `json:"worker_name"`
	Queue         string          `json:"queue"`
	QueuePosition int             `json:"queue_position"`
	WaitReason    string          `json:"wait_reason"`
	Progress      float64         `json:"progress"`
	Message       string          `json:"message"`
	Summary       json.RawMessage `json:"summary"`
	CreatedAt     time.Time       `json:"created_at"`
	StartedAt     *time.Time      `json:"started_at"`
	FinishedAt    *time.Time      `json:"finished_at"`
}

type oldEvent struct {
	Seq         int64           `json:"seq"`
	Time        time.Time       `json:"time"`
	Type        string          `json:"type"`
	Attempt     int             `json:"attempt"`
	Fraction    float64         `json:"fraction"`
	Level       string          `json:"level"`
	Message     string          `json:"message"`
	Status      string          `json:"status"`
	FailureKind string          `json:"failure_kind"`
	Error       *oldError       `json:"error"`
	Summary     json.RawMessage `json:"summary"`
	Bytes       int64           `json:"bytes"`
	CacheHit    bool            `json:"cache_hit"`
}

type oldAttempt struct {
	Attempt     int
	Worker      string
	StartedAt   time.Time
	FinishedAt  *time.Time
	Outcome     string
	FailureKind string
}

type golden struct {
	Datasets    []oldDataset            `json:"datasets"`
	Experiments []oldExperiment         `json:"experiments"`
	Attempts    map[string][]oldAttempt `json:"attempts"`
	Events      map[string][]oldEvent   `json:"events"`
}

// openFixture copies the fixture into a temporary directory and opens it.
func openFixture(t *testing.T) (*Store, string) {
	t.Helper()
	b, err := os.ReadFile("testdata/v0-77055ae.db")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "drover.db")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("open and migrate the 77055ae store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st, path
}

func readGolden(t *testing.T) golden {
	t.Helper()
	b, err := os.ReadFile("testdata/v0-77055ae.golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.Datasets) == 0 || len(g.Experiments) == 0 || len(g.Events) == 0 {
		t.Fatal("golden file is empty")
	}
	return g
}

// sameJSON compares two JSON documents by value (nil and JSON null alike).
func sameJSON(t *testing.T, what string, want, got []byte) {
	t.Helper()
	var a, b any
	if len(want) > 0 {
		if err := json.Unmarshal(want, &a); err != nil {
			t.Fatalf("%s: golden: %v", what, err)
		}
	}
	if len(got) > 0 {
		if err := json.Unmarshal(got, &b); err != nil {
			t.Fatalf("%s: migrated: %v", what, err)
		}
	}
	if !reflect.DeepEqual(a, b) {
		t.Errorf("%s:\n got  %s\n want %s", what, got, want)
	}
}

func sameError(t *testing.T, what string, want *oldError, got *protocol.Error) {
	t.Helper()
	switch {
	case want == nil && got == nil:
	case want == nil || got == nil:
		t.Errorf("%s: error %v, want %v", what, got, want)
	case want.Code != got.Code || want.Message != got.Message:
		t.Errorf("%s: error %+v, want %+v", what, *got, *want)
	}
}

func sameTime(t *testing.T, what string, want, got *time.Time) {
	t.Helper()
	switch {
	case want == nil && got == nil:
	case want == nil || got == nil:
		t.Errorf("%s: %v, want %v", what, got, want)
	case !want.Equal(*got):
		t.Errorf("%s: %v, want %v", what, *got, *want)
	}
}

func check[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func TestMigrateStoreOf77055ae(t *testing.T) {
	ctx := context.Background()
	st, _ := openFixture(t)
	g := readGolden(t)
	v, err := st.Version(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v != SchemaVersion() || v < 2 {
		t.Fatalf("schema version %d after migrating, want %d", v, SchemaVersion())
	}

	ds, err := st.ListDatasets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != len(g.Datasets) {
		t.Fatalf("%d datasets, want %d", len(ds), len(g.Datasets))
	}
	for i, w := range g.Datasets {
		d := ds[i]
		check(t, "dataset id", d.ID, w.ID)
		check(t, w.ID+" name", d.Name, w.Name)
		check(t, w.ID+" sha256", d.SHA256, w.SHA256)
		check(t, w.ID+" size", d.Size, w.Size)
		check(t, w.ID+" rows", d.Rows, w.Rows)
		sameTime(t, w.ID+" created_at", &w.CreatedAt, &d.CreatedAt)
		check(t, w.ID+" owner (the bootstrap admin)", d.Owner, "admin")
		check(t, w.ID+" shared", d.Shared, false)
		if !reflect.DeepEqual(d.Columns, w.Columns) {
			t.Errorf("%s columns:\n got  %+v\n want %+v", w.ID, d.Columns, w.Columns)
		}
		one, err := st.GetDataset(ctx, w.ID)
		if err != nil || !reflect.DeepEqual(one, d) {
			t.Errorf("GetDataset(%s) = %+v, %v; want %+v", w.ID, one, err, d)
		}
	}

	exps, err := st.ListExperiments(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(exps) != len(g.Experiments) {
		t.Fatalf("%d experiments, want %d", len(exps), len(g.Experiments))
	}
	for i, w := range g.Experiments {
		e := exps[i]
		check(t, "experiment id (in creation order)", e.ID, w.ID)
		spec, _ := json.Marshal(e.Spec)
		sameJSON(t, w.ID+" spec", w.Spec, spec)
		check(t, w.ID+" status", string(e.Status), w.Status)
		check(t, w.ID+" failure_kind", string(e.FailureKind), w.FailureKind)
		sameError(t, w.ID, w.Error, e.Error)
		check(t, w.ID+" attempt", e.Attempt, w.Attempt)
		check(t, w.ID+" worker", e.Worker, w.Worker)
		check(t, w.ID+" worker_name", e.WorkerName, w.WorkerName)
		check(t, w.ID+" queue", e.Queue, w.Queue)
		check(t, w.ID+" owner (the bootstrap admin: none before users)", e.Owner, "admin")
		check(t, w.ID+" progress", e.Progress, w.Progress)
		check(t, w.ID+" message", e.Message, w.Message)
		sameJSON(t, w.ID+" summary", w.Summary, e.Summary)
		sameTime(t, w.ID+" created_at", &w.CreatedAt, &e.CreatedAt)
		sameTime(t, w.ID+" started_at", w.StartedAt, e.StartedAt)
		sameTime(t, w.ID+" finished_at", w.FinishedAt, e.FinishedAt)
		// Worked out when asked, never stored: the old rows had none either.
		check(t, w.ID+" stored queue_position", w.QueuePosition, 0)
		check(t, w.ID+" stored wait_reason", w.WaitReason, "")

		atts, err := st.Attempts(ctx, w.ID)
		if err != nil {
			t.Fatal(err)
		}
		wa := g.Attempts[w.ID]
		if len(atts) != len(wa) {
			t.Fatalf("%s: %d attempts, want %d", w.ID, len(atts), len(wa))
		}
		for j, a := range wa {
			got := atts[j]
			check(t, w.ID+" attempt number", got.Attempt, a.Attempt)
			check(t, w.ID+" attempt worker", got.Worker, a.Worker)
			sameTime(t, w.ID+" attempt started", &a.StartedAt, &got.StartedAt)
			sameTime(t, w.ID+" attempt finished", a.FinishedAt, got.FinishedAt)
			check(t, w.ID+" attempt outcome", got.Outcome, a.Outcome)
			check(t, w.ID+" attempt failure kind", string(got.FailureKind), a.FailureKind)
		}

		evs, err := st.Events(ctx, w.ID, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		we := g.Events[w.ID]
		if len(evs) != len(we) {
			t.Fatalf("%s: %d events, want %d", w.ID, len(evs), len(we))
		}
		for j, x := range we {
			ev := evs[j]
			what := w.ID + " event " + x.Type
			check(t, what+" seq", ev.Seq, x.Seq)
			sameTime(t, what+" time", &x.Time, &ev.Time)
			check(t, what+" type", string(ev.Type), x.Type)
			check(t, what+" attempt", ev.Attempt, x.Attempt)
			check(t, what+" fraction", ev.Fraction, x.Fraction)
			check(t, what+" level", ev.Level, x.Level)
			check(t, what+" message", ev.Message, x.Message)
			check(t, what+" status", string(ev.Status), x.Status)
			check(t, what+" failure_kind", string(ev.FailureKind), x.FailureKind)
			sameError(t, what, x.Error, ev.Error)
			sameJSON(t, what+" summary", x.Summary, ev.Summary)
			check(t, what+" bytes", ev.Bytes, x.Bytes)
			check(t, what+" cache_hit", ev.CacheHit, x.CacheHit)
		}
	}

	// 0006: the stored copies lists filter and sort on match the spec and
	// the summary; datasets got a seq in upload order and kept owner/shared.
	for _, w := range g.Experiments {
		var sp struct{ Name, DatasetID, Target, Task, Priority string }
		var spec map[string]any
		_ = json.Unmarshal(w.Spec, &spec)
		sp.Name, _ = spec["name"].(string)
		sp.DatasetID, _ = spec["dataset_id"].(string)
		sp.Target, _ = spec["target"].(string)
		sp.Task, _ = spec["task"].(string)
		var sum struct {
			Task string `json:"task"`
			Best struct {
				CVScore *float64 `json:"cv_score"`
			} `json:"best"`
		}
		if len(w.Summary) > 0 && string(w.Summary) != "null" {
			_ = json.Unmarshal(w.Summary, &sum)
		}
		if sum.Task != "" {
			sp.Task = sum.Task
		}
		var name, dsID, target, task, prio string
		var best, dur sql.NullFloat64
		if err := st.db.QueryRowContext(ctx, `SELECT name, dataset_id, target, task, priority, best_score, duration FROM experiments WHERE id = ?`, w.ID).
			Scan(&name, &dsID, &target, &task, &prio, &best, &dur); err != nil {
			t.Fatal(err)
		}
		check(t, w.ID+" stored name", name, sp.Name)
		check(t, w.ID+" stored dataset_id", dsID, sp.DatasetID)
		check(t, w.ID+" stored target", target, sp.Target)
		check(t, w.ID+" stored task", task, sp.Task)
		check(t, w.ID+" stored priority", prio, "normal")
		check(t, w.ID+" stored best_score set", best.Valid, sum.Best.CVScore != nil)
		if best.Valid && sum.Best.CVScore != nil {
			check(t, w.ID+" stored best_score", best.Float64, *sum.Best.CVScore)
		}
		check(t, w.ID+" stored duration set", dur.Valid, w.StartedAt != nil && w.FinishedAt != nil)
		if dur.Valid && w.StartedAt != nil && w.FinishedAt != nil {
			if d := w.FinishedAt.Sub(*w.StartedAt).Seconds(); dur.Float64 < d-0.01 || dur.Float64 > d+0.01 {
				t.Errorf("%s stored duration %v, want %v", w.ID, dur.Float64, d)
			}
		}
	}
	drows, err := st.ListDatasetPage(ctx, DatasetFilter{}, Page{Limit: 100, Asc: true})
	if err != nil || len(drows) != len(g.Datasets) {
		t.Fatalf("dataset page after 0006: %d rows, %v", len(drows), err)
	}
	for i, d := range drows {
		if i > 0 && d.CreatedAt.Before(drows[i-1].CreatedAt) {
			t.Errorf("datasets not in upload order after 0006: %s before %s", drows[i-1].ID, d.ID)
		}
		full, _ := st.GetDataset(ctx, d.ID)
		check(t, d.ID+" column_count", d.ColumnCount, len(full.Columns))
		check(t, d.ID+" owner kept", d.Owner, "admin")
		check(t, d.ID+" shared kept", d.Shared, false)
	}

	// Sequence numbers go on from where the old tables left them.
	var maxSeq int64
	for _, evs := range g.Events {
		for _, ev := range evs {
			maxSeq = max(maxSeq, ev.Seq)
		}
	}
	ev, err := st.AppendEvent(ctx, "ex_ok", protocol.Event{Time: time.Now(), Type: protocol.EventLog, Message: "after the migration"})
	if err != nil {
		t.Fatal(err)
	}
	if ev.Seq <= maxSeq {
		t.Errorf("first event after the migration has seq %d, not above the old %d", ev.Seq, maxSeq)
	}
	e := &Experiment{ID: "ex_new", Spec: protocol.Spec{DatasetID: "ds_iris"}, Status: protocol.StatusQueued, CreatedAt: time.Now()}
	if err := st.CreateExperiment(ctx, e); err != nil {
		t.Fatal(err)
	}
	exps, err = st.ListExperiments(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if last := exps[len(exps)-1].ID; last != "ex_new" {
		t.Errorf("new experiment listed before old ones (last is %s)", last)
	}
}

func TestMigrationsApplyOnce(t *testing.T) {
	ctx := context.Background()
	st, path := openFixture(t)
	st.Close()
	for range 2 {
		st, err := Open(ctx, path)
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		var n int
		if err := st.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_version`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != SchemaVersion() {
			t.Errorf("%d rows in schema_version, want one per migration (%d)", n, SchemaVersion())
		}
		ds, err := st.ListDatasets(ctx)
		if err != nil || len(ds) != len(readGolden(t).Datasets) {
			t.Errorf("after reopening: %d datasets, %v", len(ds), err)
		}
		st.Close()
	}
}

func TestRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "drover.db")
	st, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.db.ExecContext(ctx, `INSERT INTO schema_version(version, name, applied_at) VALUES(?, 'from the future', '')`, SchemaVersion()+1); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if _, err := Open(ctx, path); err == nil {
		t.Fatal("a store of a newer schema opened without error")
	}
}

func TestMigrationNames(t *testing.T) {
	ms, err := Migrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) < 2 || ms[0].Name != "0001_initial.sql" {
		t.Fatalf("migrations %v", ms)
	}
}

func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "drover.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now().UTC()
	d := &Dataset{ID: "ds1", Name: "a.csv", SHA256: "ff", Size: 9, Rows: 3, CreatedAt: now,
		Columns: []Column{{Name: "x", Type: "numeric", Distinct: 3, Histogram: &Histogram{Edges: []float64{0, 1}, Counts: []int{3}}}}}
	if err := st.CreateDataset(ctx, d); err != nil {
		t.Fatal(err)
	}
	gd, err := st.GetDataset(ctx, "ds1")
	if err != nil {
		t.Fatal(err)
	}
	gd.CreatedAt, d.CreatedAt = gd.CreatedAt.UTC(), d.CreatedAt.UTC()
	if !reflect.DeepEqual(gd, d) {
		t.Errorf("dataset round trip:\n got  %+v\n want %+v", gd, d)
	}
	if _, err := st.GetDataset(ctx, "nope"); err != ErrNotFound {
		t.Errorf("missing dataset: %v", err)
	}
	folds := 2
	e := &Experiment{ID: "ex1", Spec: protocol.Spec{DatasetID: "ds1", Target: "x", Params: map[string]string{"a": "1"}, Folds: &folds},
		Status: protocol.StatusQueued, Queue: "cpu", CreatedAt: now}
	if err := st.CreateExperiment(ctx, e); err != nil {
		t.Fatal(err)
	}
	fin := now.Add(time.Second)
	up, err := st.UpdateExperiment(ctx, "ex1", func(e *Experiment) error {
		e.Status, e.FailureKind, e.Attempt = protocol.StatusFailed, protocol.FailureUser, 1
		e.Error = &protocol.Error{Code: "bad_param", Message: "no"}
		e.Summary, e.FinishedAt, e.Progress = json.RawMessage(`{"task":"binary"}`), &fin, 0.5
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := st.GetExperiment(ctx, "ex1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != protocol.StatusFailed || got.Error == nil || got.Error.Code != "bad_param" || *got.Spec.Folds != 2 ||
		got.Spec.Params["a"] != "1" || string(got.Summary) != `{"task":"binary"}` || !got.FinishedAt.Equal(fin) || got.Progress != 0.5 ||
		got.FailureKind != protocol.FailureUser || got.Attempt != 1 || up.Status != protocol.StatusFailed {
		t.Errorf("experiment round trip: %+v", got)
	}
	if _, err := st.UpdateExperiment(ctx, "ex1", func(e *Experiment) error { e.Status = protocol.StatusRunning; return ErrUnchanged }); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.GetExperiment(ctx, "ex1"); got.Status != protocol.StatusFailed {
		t.Errorf("ErrUnchanged wrote the row: %s", got.Status)
	}
	if l, _ := st.ListExperiments(ctx, protocol.StatusQueued); len(l) != 0 {
		t.Errorf("status filter: %d", len(l))
	}
	if l, _ := st.ListExperiments(ctx, protocol.StatusQueued, protocol.StatusFailed); len(l) != 1 {
		t.Errorf("status filter: %d", len(l))
	}
	ev, err := st.AppendEvent(ctx, "ex1", protocol.Event{Time: now, Type: protocol.EventResult, Status: protocol.StatusFailed,
		Error: &protocol.Error{Code: "c", Message: "m"}, Summary: json.RawMessage(`{"a":1}`), Bytes: 7, CacheHit: true})
	if err != nil {
		t.Fatal(err)
	}
	evs, err := st.Events(ctx, "ex1", 0, 0)
	if err != nil || len(evs) != 1 {
		t.Fatalf("events: %v %v", evs, err)
	}
	x := evs[0]
	if x.Seq != ev.Seq || x.Error == nil || x.Error.Code != "c" || string(x.Summary) != `{"a":1}` || !x.CacheHit || x.Bytes != 7 || !x.Time.Equal(now) {
		t.Errorf("event round trip: %+v", x)
	}
	if evs, _ := st.Events(ctx, "ex1", ev.Seq, 0); len(evs) != 0 {
		t.Errorf("events after the last: %d", len(evs))
	}
}

// Rows written between the scheduling work (owner, spec.priority in the
// JSON blob) and migration 0002 keep both.
func TestMigrateOwnerAndPriorityFromBlob(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "drover.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := Migrations()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, ms[0].SQL); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO experiments(id, status, data) VALUES('ex_o', 'queued',
		'{"id":"ex_o","spec":{"dataset_id":"ds","priority":"high"},"status":"queued","owner":"alice","attempt":0,"progress":0,"created_at":"2026-12-01T00:00:00Z"}')`); err != nil {
		t.Fatal(err)
	}
	st := openMigrated(t, db, path)
	e, err := st.GetExperiment(ctx, "ex_o")
	if err != nil {
		t.Fatal(err)
	}
	if e.Owner != "alice" || e.Spec.Priority != "high" || e.Status != protocol.StatusQueued {
		t.Errorf("migrated %+v", e)
	}
}

// 0006 rebuilds datasets: a database at 0005 with users' datasets keeps
// every owner and share, and its experiments get their stored list columns.
func TestMigrateTo0006KeepsOwners(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "drover.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := Migrations()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	for _, m := range ms[:5] { // up to 0005, the schema 0006 starts from
		if err := apply(ctx, db, m); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []string{
		`INSERT INTO datasets(id, name, sha256, size, rows, columns, created_at, owner, shared) VALUES
			('ds_b', 'b.csv', 'x', 1, 2, '[{"name":"a"},{"name":"b"},{"name":"c"}]', '2026-01-02T00:00:00.5Z', 'bob', 1),
			('ds_a', 'a.csv', 'y', 1, 2, '[]', '2026-01-01T00:00:00Z', 'alice', 0)`,
		`INSERT INTO experiments(id, status, spec, owner, summary, created_at, started_at, finished_at) VALUES
			('ex_1', 'succeeded', '{"dataset_id":"ds_b","target":"c","name":"first","priority":"high","task":"auto"}', 'bob',
			 '{"task":"binary","best":{"model":"gbm","cv_score":0.75}}', '2026-01-03T00:00:00Z', '2026-01-03T00:00:00Z', '2026-01-03T00:01:30Z')`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	st := openMigrated(t, db, path)
	rows, err := st.ListDatasetPage(ctx, DatasetFilter{}, Page{Limit: 10, Asc: true})
	if err != nil || len(rows) != 2 {
		t.Fatalf("%+v %v", rows, err)
	}
	a, b := rows[0], rows[1]
	if a.ID != "ds_a" || a.Owner != "alice" || a.Shared || a.ColumnCount != 0 || b.ID != "ds_b" || b.Owner != "bob" || !b.Shared || b.ColumnCount != 3 || b.Seq <= a.Seq {
		t.Errorf("datasets after 0006: %+v %+v", a, b)
	}
	if got, _ := st.ListDatasetPage(ctx, DatasetFilter{VisibleTo: "carol"}, Page{Limit: 10}); len(got) != 1 || got[0].ID != "ds_b" {
		t.Errorf("carol sees %+v (only the shared one)", got)
	}
	er, err := st.ListExperimentPage(ctx, ExperimentFilter{Owner: "bob", DatasetID: "ds_b", Task: "binary", Priority: "high", Q: "FIRST"}, Page{Limit: 5, Sort: SortScore})
	if err != nil || len(er) != 1 || er[0].BestScore == nil || *er[0].BestScore != 0.75 || er[0].Duration == nil || *er[0].Duration != 90 || er[0].BestModel != "gbm" {
		t.Errorf("experiment after 0006: %+v %v", er, err)
	}
}

// The tags migration fills experiment_tags from the rows already there
// (a malformed tags value is skipped, not an error).
func TestMigrateTagsFillsIndex(t *testing.T) {
	ctx := context.Background()
	path, db := schemaBefore(t, "_tags.sql")
	if _, err := db.ExecContext(ctx, `INSERT INTO experiments(id, status, spec, owner, created_at, tags) VALUES
		('ex_1', 'queued', '{}', 'bob', '2026-01-03T00:00:00Z', '["a","b"]'),
		('ex_2', 'queued', '{}', 'bob', '2026-01-03T00:00:01Z', '[]'),
		('ex_3', 'queued', '{}', 'bob', '2026-01-03T00:00:02Z', 'not json'),
		('ex_4', 'queued', '{}', 'bob', '2026-01-03T00:00:03Z', '["b"]')`); err != nil {
		t.Fatal(err)
	}
	st := openMigrated(t, db, path)
	for tag, want := range map[string][]string{"a": {"ex_1"}, "b": {"ex_4", "ex_1"}, "not json": nil} {
		if got := walkExperiments(t, st, ExperimentFilter{Tag: tag}, Page{Limit: 10}); !slices.Equal(got, want) {
			t.Errorf("tag %q after migrating: %v, want %v", tag, got, want)
		}
	}
}

// Migration 0009 fills the trigram index from the experiments already in
// the store.
func TestMigrateSearchFillsIndex(t *testing.T) {
	ctx := context.Background()
	path, db := schemaBefore(t, "_search.sql")
	if _, err := db.ExecContext(ctx, `INSERT INTO experiments(id, status, spec, owner, created_at, name, target) VALUES
		('ex_1', 'queued', '{}', 'bob', '2026-01-03T00:00:00Z', 'nightly churn', 'churned'),
		('ex_2', 'queued', '{}', 'bob', '2026-01-03T00:00:01Z', 'weekly', 'price'),
		('ex_3', 'queued', '{}', 'bob', '2026-01-03T00:00:02Z', 'Nightly price', 'y')`); err != nil {
		t.Fatal(err)
	}
	st := openMigrated(t, db, path)
	var automerge int
	if err := st.rd.QueryRowContext(ctx, `SELECT v FROM experiments_fts_config WHERE k = 'automerge'`).Scan(&automerge); err != nil || automerge != 0 {
		t.Errorf("experiments_fts automerge = %d (%v), want 0 (0010)", automerge, err)
	}
	for q, want := range map[string][]string{"nightly": {"ex_3", "ex_1"}, "price": {"ex_3", "ex_2"}, "ex_2": {"ex_2"}, "hurn": {"ex_1"}, "none": nil} {
		if got := walkExperiments(t, st, ExperimentFilter{Q: q}, Page{Limit: 10}); !slices.Equal(got, want) {
			t.Errorf("q %q after migrating: %v, want %v", q, got, want)
		}
	}
}

// openMigrated closes db, a database built by hand, and opens it as a
// store, which applies the migrations it lacks; the store is closed at
// the test's end.
func openMigrated(t *testing.T, db *sql.DB, path string) *Store {
	t.Helper()
	db.Close()
	st, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// schemaBefore makes a database in a temporary directory with every
// migration before the one whose name ends in suffix, and returns its path
// and an open handle (the caller adds rows and closes it).
func schemaBefore(t *testing.T, suffix string) (string, *sql.DB) {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "drover.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := Migrations()
	if err != nil {
		t.Fatal(err)
	}
	before := slices.IndexFunc(ms, func(m Migration) bool { return strings.HasSuffix(m.Name, suffix) })
	if before < 0 {
		t.Fatalf("no migration named *%s", suffix)
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	for _, m := range ms[:before] {
		if err := apply(ctx, db, m); err != nil {
			t.Fatal(err)
		}
	}
	return path, db
}
