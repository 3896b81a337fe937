package server_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/drover-ml/drover/api"
	"github.com/drover-ml/drover/internal/server"
	"github.com/drover-ml/drover/internal/servertest"
)

// The list endpoints: pages of slim rows, keyset cursors, filters, and a
// 400 naming the parameter for every bad value.
func TestListPagesAndFilters(t *testing.T) {
	h := start(t, newConfig(t))
	ctx := context.Background()
	iris := h.upload(examples("iris.csv"))
	vote := h.upload(examples("vote.csv"))

	done := h.create(api.Spec{DatasetID: iris.ID, Target: "species", Accuracy: 1, Time: 1, Name: "quick iris"})
	if e := h.wait(done.ID); e.Status != api.StatusSucceeded {
		t.Fatalf("quick experiment %s: %+v", e.Status, e.Error)
	}
	var made []string
	for i := range 4 {
		ds := iris.ID
		if i%2 == 1 {
			ds = vote.ID
		}
		e := h.create(api.Spec{DatasetID: ds, Target: map[string]string{iris.ID: "species", vote.ID: "Class"}[ds], Accuracy: 10, Time: 10})
		if _, err := h.cl.CancelExperiment(ctx, e.ID); err != nil {
			t.Fatal(err)
		}
		made = append(made, e.ID)
	}
	// Newest first: the four cancelled ones, then the quick one.
	want := []string{made[3], made[2], made[1], made[0], done.ID}

	var got []string
	pages := 0
	opts := api.ListOptions{Limit: 2}
	for {
		p, err := h.cl.ListExperimentsPage(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, r := range p.Items {
			got = append(got, r.ID)
		}
		if p.NextCursor == "" {
			break
		}
		opts.Cursor = p.NextCursor
	}
	if !slices.Equal(got, want) || pages != 3 {
		t.Fatalf("pages of 2: %v in %d pages, want %v in 3", got, pages, want)
	}
	var oldest []string
	for r, err := range h.cl.Experiments(ctx, api.ListOptions{Limit: 3, Order: api.OrderAsc}) {
		if err != nil {
			t.Fatal(err)
		}
		oldest = append(oldest, r.ID)
	}
	if !slices.Equal(oldest, []string{done.ID, made[0], made[1], made[2], made[3]}) {
		t.Fatalf("oldest first: %v", oldest)
	}
	onVote, _ := h.cl.ListExperimentsPage(ctx, api.ListOptions{Dataset: vote.ID})
	if len(onVote.Items) != 2 || onVote.Items[0].ID != made[3] || onVote.Items[1].ID != made[1] {
		t.Fatalf("dataset filter: %+v", onVote.Items)
	}
	for _, id := range []string{made[1], made[3]} {
		if _, err := h.cl.PatchExperiment(ctx, id, api.ExperimentPatch{AddTags: []string{"nightly", "ü:b"}}); err != nil {
			t.Fatal(err)
		}
	}
	var tagged []string
	for r, err := range h.cl.Experiments(ctx, api.ListOptions{Tag: "nightly", Limit: 1}) {
		if err != nil {
			t.Fatal(err)
		}
		tagged = append(tagged, r.ID)
	}
	if !slices.Equal(tagged, []string{made[3], made[1]}) {
		t.Fatalf("tag filter: %v, want %v", tagged, []string{made[3], made[1]})
	}
	if p, err := h.cl.ListExperimentsPage(ctx, api.ListOptions{Tag: "ü:b", Dataset: iris.ID}); err != nil || len(p.Items) != 0 {
		t.Fatalf("tag and dataset: %+v %v", p, err)
	}
	ok, _ := h.cl.ListExperimentsPage(ctx, api.ListOptions{Status: "succeeded,failed"})
	if len(ok.Items) != 1 || ok.Items[0].ID != done.ID {
		t.Fatalf("status filter: %+v", ok.Items)
	}
	r := ok.Items[0]
	if r.BestScore == nil || r.BestModel == "" || r.Scorer == "" || r.Task != "multiclass" {
		t.Fatalf("slim row has no best score: %+v", r)
	}
	byName, _ := h.cl.ListExperimentsPage(ctx, api.ListOptions{Q: "QUICK"})
	if len(byName.Items) != 1 || byName.Items[0].ID != done.ID {
		t.Fatalf("q: %+v", byName.Items)
	}

	// Slim: no summary, no leaderboard, no column histograms in the bytes.
	for _, path := range []string{"/api/v1/experiments", "/api/v1/datasets"} {
		status, body := get(t, h.srv.URL()+path)
		if status != 200 || strings.Contains(body, `"summary"`) || strings.Contains(body, `"leaderboard"`) || strings.Contains(body, `"histogram"`) {
			t.Fatalf("%s: %d, not slim: %.300s", path, status, body)
		}
	}
	dsp, err := h.cl.ListDatasetsPage(ctx, api.ListOptions{Limit: 1})
	if err != nil || len(dsp.Items) != 1 || dsp.Items[0].ID != vote.ID || dsp.Items[0].ColumnCount != 17 || dsp.NextCursor == "" {
		t.Fatalf("datasets page: %+v, %v", dsp, err)
	}
	rest, _ := h.cl.ListDatasetsPage(ctx, api.ListOptions{Cursor: dsp.NextCursor, Limit: 1})
	if len(rest.Items) != 1 || rest.Items[0].ID != iris.ID || rest.NextCursor != "" {
		t.Fatalf("second datasets page: %+v", rest)
	}

	// Sort by score: the one with a score first, then the others (no
	// score) newest first, in either direction, across pages.
	for _, order := range []string{api.OrderDesc, api.OrderAsc} {
		var byScore []string
		for r, err := range h.cl.Experiments(ctx, api.ListOptions{Limit: 2, Sort: api.SortScore, Order: order}) {
			if err != nil {
				t.Fatal(err)
			}
			byScore = append(byScore, r.ID)
		}
		wantScore := []string{done.ID, made[3], made[2], made[1], made[0]}
		if order == api.OrderAsc {
			wantScore = []string{done.ID, made[0], made[1], made[2], made[3]}
		}
		if !slices.Equal(byScore, wantScore) {
			t.Fatalf("sort=score order=%s: %v, want %v", order, byScore, wantScore)
		}
	}
	if p, err := h.cl.ListExperimentsPage(ctx, api.ListOptions{Sort: api.SortDuration, Limit: 1}); err != nil || len(p.Items) != 1 || p.Items[0].DurationSeconds == nil {
		t.Fatalf("sort=duration: %+v %v", p, err)
	}
	for _, tc := range []struct {
		opts api.ListOptions
		want int
	}{
		{api.ListOptions{Task: "multiclass"}, 1}, {api.ListOptions{Priority: "normal"}, 5}, {api.ListOptions{Priority: "high"}, 0},
		{api.ListOptions{Worker: "local", Status: "succeeded"}, 1}, {api.ListOptions{Owner: "admin"}, 5}, {api.ListOptions{Owner: "nobody"}, 0},
		{api.ListOptions{Status: "cancelled", Dataset: iris.ID}, 2},
	} {
		if p, err := h.cl.ListExperimentsPage(ctx, tc.opts); err != nil || len(p.Items) != tc.want {
			t.Errorf("%+v: %d rows, %v; want %d", tc.opts, len(p.Items), err, tc.want)
		}
	}
	info, err := h.cl.SystemInfo(ctx)
	if err != nil || info.Experiments["cancelled"] != 4 || info.Experiments["succeeded"] != 1 || info.Datasets != 2 || info.Alerts == nil {
		t.Fatalf("system info counts: %+v %v", info, err)
	}

	// Bad values: 400, the field named, the server still serving.
	expCursor := url.QueryEscape(opts.Cursor)
	_, mac, _ := strings.Cut(opts.Cursor, ".")
	forged := url.QueryEscape(base64.RawURLEncoding.EncodeToString([]byte("1")) + "." + mac)
	for _, tc := range []struct{ path, field string }{
		{"/api/v1/experiments?limit=0", "limit"},
		{"/api/v1/experiments?limit=501", "limit"},
		{"/api/v1/experiments?limit=ten", "limit"},
		{"/api/v1/experiments?sort=name", "sort"},
		{"/api/v1/experiments?sort=-created", "sort"},
		{"/api/v1/experiments?order=up", "order"},
		{"/api/v1/datasets?sort=score", "sort"},
		{"/api/v1/experiments?task=clustering", "task"},
		{"/api/v1/experiments?priority=urgent", "priority"},
		{"/api/v1/experiments?tag=two%20words", "tag"},
		{"/api/v1/experiments?tag=" + strings.Repeat("t", 65), "tag"},
		{"/api/v1/experiments?tag=a&tag=b", "tag"},
		{"/api/v1/experiments?tag=nightly&cursor=" + expCursor, "cursor"}, // another filter
		{"/api/v1/experiments?dataset=" + strings.Repeat("d", 201), "dataset"},
		{"/api/v1/experiments?cursor=" + expCursor + "x", "cursor"},         // tampered
		{"/api/v1/experiments?status=queued&cursor=" + expCursor, "cursor"}, // other filters
		{"/api/v1/experiments?limit=2&cursor=" + forged, "cursor"},          // another position, the same MAC
		{"/api/v1/experiments?cursor=bm9wZQ", "cursor"},
		{"/api/v1/experiments?cursor=" + url.QueryEscape(dsp.NextCursor), "cursor"}, // a datasets cursor
		{"/api/v1/experiments?order=asc&cursor=" + expCursor, "cursor"},             // the other direction
		{"/api/v1/datasets?cursor=" + expCursor, "cursor"},                          // an experiments cursor
		{"/api/v1/experiments?status=done", "status"},
		{"/api/v1/experiments?q=" + strings.Repeat("x", 201), "q"},
		{"/api/v1/experiments?limt=5", "limt"},
		{"/api/v1/datasets?status=queued", "status"},
		{"/api/v1/experiments?limit=5&limit=6", "limit"},
	} {
		resp, err := http.Get(h.srv.URL() + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		var eb api.ErrorBody
		_ = json.NewDecoder(resp.Body).Decode(&eb)
		resp.Body.Close()
		if resp.StatusCode != 400 || eb.Error == nil || eb.Error.Code != "bad_request" || eb.Error.Field != tc.field {
			t.Errorf("%s: %d %+v, want 400 bad_request naming %q", tc.path, resp.StatusCode, eb.Error, tc.field)
		}
	}
	if _, err := h.cl.ListExperiments(ctx, ""); err != nil {
		t.Fatalf("not serving after bad lists: %v", err)
	}
}

func get(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// A user's list has their own rows only, on every page and in every sort;
// another user's cursor is refused; only admins filter by owner.
func TestListOwnerIsolation(t *testing.T) {
	cfg := commandConfig(t)
	cfg.APIToken = "root-token-for-list-tests"
	h := start(t, cfg)
	ctx := context.Background()
	at, err := h.cl.CreateUser(ctx, "alice", false)
	if err != nil {
		t.Fatal(err)
	}
	bt, err := h.cl.CreateUser(ctx, "bob", false)
	if err != nil {
		t.Fatal(err)
	}
	alice, bob := api.NewClient(h.srv.URL(), at.Token), api.NewClient(h.srv.URL(), bt.Token)
	mine := map[string][]string{}
	for who, cl := range map[string]*api.Client{"alice": alice, "bob": bob} {
		ds, err := cl.UploadDataset(ctx, examples("iris.csv"), nil)
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			e, err := cl.CreateExperiment(ctx, api.Spec{DatasetID: ds.ID, Command: "true", Name: "run of " + who})
			if err != nil {
				t.Fatal(err)
			}
			mine[who] = append(mine[who], e.ID)
		}
	}
	for _, id := range append(slices.Clone(mine["alice"]), mine["bob"]...) {
		h.wait(id)
	}
	for who, cl := range map[string]*api.Client{"alice": alice, "bob": bob} {
		for _, sort := range []string{api.SortCreated, api.SortDuration, api.SortScore} {
			var got []string
			for r, err := range cl.Experiments(ctx, api.ListOptions{Limit: 1, Sort: sort}) {
				if err != nil {
					t.Fatal(err)
				}
				if r.Owner != who {
					t.Fatalf("%s's list (sort %s) has %s's %s", who, sort, r.Owner, r.ID)
				}
				got = append(got, r.ID)
			}
			if len(got) != 3 {
				t.Errorf("%s's list (sort %s): %v", who, sort, got)
			}
		}
		if p, err := cl.ListExperimentsPage(ctx, api.ListOptions{Q: "run of"}); err != nil || len(p.Items) != 3 {
			t.Errorf("%s's search: %+v %v", who, p, err)
		}
		info, err := cl.SystemInfo(ctx)
		if err != nil || info.Experiments["succeeded"] != 3 || info.Datasets != 1 {
			t.Errorf("%s's counts: %+v %v", who, info, err)
		}
		dl, err := cl.ListDatasets(ctx)
		if err != nil || len(dl) != 1 || dl[0].Owner != who {
			t.Errorf("%s's datasets: %+v %v", who, dl, err)
		}
	}
	if _, err := bob.ListExperimentsPage(ctx, api.ListOptions{Owner: "alice"}); apiCode(err) != "forbidden" {
		t.Errorf("bob lists alice's: %v", err)
	}
	if p, err := bob.ListExperimentsPage(ctx, api.ListOptions{Owner: "bob"}); err != nil || len(p.Items) != 3 {
		t.Errorf("bob names himself: %+v %v", p, err)
	}
	ap, err := alice.ListExperimentsPage(ctx, api.ListOptions{Limit: 1})
	if err != nil || ap.NextCursor == "" {
		t.Fatal(ap, err)
	}
	if _, err := bob.ListExperimentsPage(ctx, api.ListOptions{Limit: 1, Cursor: ap.NextCursor}); apiCode(err) != "bad_request" {
		t.Errorf("bob uses alice's cursor: %v", err)
	}
	all, err := h.cl.ListExperiments(ctx, "")
	if err != nil || len(all) != 6 {
		t.Errorf("admin's list: %d %v", len(all), err)
	}
	if p, err := h.cl.ListExperimentsPage(ctx, api.ListOptions{Owner: "alice"}); err != nil || len(p.Items) != 3 {
		t.Errorf("admin's owner=alice: %+v %v", p, err)
	}
	if p, err := h.cl.ListDatasetsPage(ctx, api.ListOptions{Owner: "bob"}); err != nil || len(p.Items) != 1 || p.Items[0].Owner != "bob" {
		t.Errorf("admin's datasets owner=bob: %+v %v", p, err)
	}
}

// TestCursorSurvivesRestart: a page walk goes on across a server restart
// (the cursor key is kept in the data directory, mode 0600); a damaged key
// file stops the start with an error naming it.
func TestCursorSurvivesRestart(t *testing.T) {
	cfg := newConfig(t)
	srv := servertest.Start(t, cfg)
	cl := api.NewClient(srv.URL(), cfg.APIToken)
	ctx := context.Background()
	for _, f := range []string{"iris.csv", "vote.csv", "iris.csv"} {
		if _, err := cl.UploadDataset(ctx, examples(f), nil); err != nil {
			t.Fatal(err)
		}
	}
	first, err := cl.ListDatasetsPage(ctx, api.ListOptions{Limit: 1})
	if err != nil || first.NextCursor == "" {
		t.Fatalf("first page: %+v %v", first, err)
	}
	all, err := cl.ListDatasets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	srv.Stop()

	key := filepath.Join(cfg.DataDirectory, "cursor.key")
	if fi, err := os.Stat(key); err != nil || fi.Mode().Perm() != 0o600 || fi.Size() != 32 {
		t.Fatalf("cursor key file: %v %v", fi, err)
	}
	srv = servertest.Start(t, cfg)
	cl = api.NewClient(srv.URL(), cfg.APIToken)
	second, err := cl.ListDatasetsPage(ctx, api.ListOptions{Limit: 1, Cursor: first.NextCursor})
	if err != nil {
		t.Fatalf("a cursor from before the restart: %v", err)
	}
	if len(second.Items) != 1 || second.Items[0].ID != all[1].ID {
		t.Fatalf("page after the restart: %+v, want %s", second.Items, all[1].ID)
	}
	srv.Stop()

	if err := os.WriteFile(key, []byte("short"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := server.New(ctx, cfg, nil); err == nil || !strings.Contains(err.Error(), key) {
		t.Fatalf("start with a damaged cursor key: %v, want an error naming %s", err, key)
	}
}
