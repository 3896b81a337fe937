package ui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/drover-ml/drover/api"
	"github.com/drover-ml/drover/internal/config"
	"github.com/drover-ml/drover/internal/protocol"
	"github.com/drover-ml/drover/internal/store"
	"github.com/drover-ml/drover/internal/testutil"
)

// seeded is one experiment written into the store before the server starts.
type seeded struct {
	id, name, dataset, owner, status, priority, worker string
	score                                              float64 // succeeded only
	duration                                           float64 // seconds
	created                                            time.Time
}

// seedStore writes n finished experiments on three datasets into the
// store at dir (owners alice, bob and admin; every status but queued and
// running; every tenth named "needle ..."), as a server would have.
func seedStore(t *testing.T, dir string, n int) ([]seeded, []string) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(dir, "drover.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	base := time.Now().UTC().Add(-time.Duration(n+10) * time.Minute)
	var dss []string
	for i, name := range []string{"alpha.csv", "beta.csv", "gamma.csv"} {
		id := fmt.Sprintf("ds_seed%05d", i)
		sha := strings.Repeat(strconv.Itoa(i+1), 64)
		if err := st.CreateDataset(ctx, &store.Dataset{ID: id, Name: name, SHA256: sha, Size: 1000, Rows: 100, CreatedAt: base, Owner: "admin", Shared: true}); err != nil {
			t.Fatal(err)
		}
		dss = append(dss, id)
	}
	owners := []string{"alice", "bob", "admin"}
	statuses := []protocol.Status{protocol.StatusSucceeded, protocol.StatusSucceeded, protocol.StatusFailed, protocol.StatusSucceeded, protocol.StatusCancelled}
	prios := []string{"normal", "normal", "low", "normal", "high", "normal", "normal"}
	var out []seeded
	for i := range n {
		s := seeded{id: fmt.Sprintf("ex_seed%05d", i), name: fmt.Sprintf("run %04d", i), dataset: dss[i%3], owner: owners[(i/3)%3],
			status: string(statuses[i%5]), priority: prios[i%7], worker: []string{"w-one", "w-two"}[i%2],
			duration: float64(10 + (i*37)%600), created: base.Add(time.Duration(i) * time.Minute)}
		if i%10 == 7 {
			s.name = fmt.Sprintf("needle %04d", i)
		}
		started := s.created.Add(time.Second)
		finished := started.Add(time.Duration(s.duration * float64(time.Second)))
		e := &store.Experiment{ID: s.id, Spec: protocol.Spec{DatasetID: s.dataset, Name: s.name, Target: "y", Task: "binary", Priority: s.priority},
			Status: protocol.Status(s.status), Attempt: 1, Worker: s.worker, WorkerName: s.worker, Queue: "cpu", Owner: s.owner,
			CreatedAt: s.created, StartedAt: &started, FinishedAt: &finished}
		switch e.Status {
		case protocol.StatusSucceeded:
			e.Progress = 1
			s.score = 0.5 + float64((i*7919)%4999)/10000
			sum, _ := json.Marshal(map[string]any{"task": "binary", "scorer": "auc", "rows": 100, "features": 3,
				"best":        map[string]any{"model": "gbm", "params": map[string]string{}, "cv_score": s.score, "cv_std": 0.01, "fit_seconds": 1},
				"leaderboard": []any{map[string]any{"model": "gbm", "params": map[string]string{}, "cv_score": s.score, "cv_std": 0.01, "fit_seconds": 1}}})
			e.Summary = sum
		case protocol.StatusFailed:
			e.FailureKind, e.Error = protocol.FailureUser, &protocol.Error{Code: "bad_target", Message: "the target has one value"}
		case protocol.StatusCancelled:
			e.FailureKind = protocol.FailureCancelled
		}
		if err := st.CreateExperiment(ctx, e); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out, dss
}

// TestExperimentsTable: 2,000 experiments in the store, a real server and a
// real Redis worker running one more. The table shows 50 rows a page and
// pages with keyset cursors; it sorts by score and duration both ways and
// by creation; it filters by status, dataset, owner, task, priority and
// worker and searches names; the view lives in the URL (opened afresh it
// shows the same rows); only queued and running rows refresh; on a phone
// the page does not scroll sideways.
func TestExperimentsTable(t *testing.T) {
	b := newBrowser(t)
	rd := testutil.StartRedis(t)
	cfg := newConfig(t)
	cfg.WorkerMode = config.ModeSinglenode
	host, port, _ := strings.Cut(rd.Addr(), ":")
	cfg.RedisIP = host
	cfg.RedisPort, _ = strconv.Atoi(port)
	const n = 2000
	t0 := time.Now()
	seeds, dss := seedStore(t, cfg.DataDirectory, n)
	t.Logf("seeded %d experiments in %s", n, time.Since(t0).Round(time.Millisecond))
	srv := startServer(t, cfg)
	startWorker(t, cfg)
	base := srv.URL()
	cl := client(srv, "")
	ctx := context.Background()
	ds, err := cl.UploadDataset(ctx, examples("slid_wages.csv"), nil)
	if err != nil {
		t.Fatal(err)
	}
	// A long search, running on the worker while the table is open.
	live, err := cl.CreateExperiment(ctx, api.Spec{DatasetID: ds.ID, Name: "live wages", Target: "wages", Accuracy: 10, Time: 10})
	if err != nil {
		t.Fatal(err)
	}

	rows := `[...document.querySelectorAll('#experiments-table tbody tr')]`
	ids := func() []string { return eval[[]string](b, rows+`.map(r => r.dataset.id)`) }
	// open loads a view and waits for its first rows (or the empty note).
	open := func(what, url string) time.Duration {
		t.Helper()
		start := time.Now()
		b.do(what, 30*time.Second, chromedp.Navigate(base+url), chromedp.WaitVisible(chromedp.ID("filters")))
		b.waitJS(what+" rows", `document.getElementById('list-summary').textContent !== '' || !document.getElementById('list-empty').hidden || !document.getElementById('list-error').hidden`, 30*time.Second)
		return time.Since(start)
	}
	// wantRows is the order the seeds give for a filter and a sort.
	wantRows := func(keep func(seeded) bool, less func(a, b seeded) int) []string {
		var sel []seeded
		for _, s := range seeds {
			if keep == nil || keep(s) {
				sel = append(sel, s)
			}
		}
		slices.SortStableFunc(sel, less)
		var out []string
		for _, s := range sel {
			out = append(out, s.id)
		}
		return out
	}
	newest := func(a, b seeded) int { return b.created.Compare(a.created) }
	checkPage := func(what string, want []string) {
		t.Helper()
		got := ids()
		if len(want) > 50 {
			want = want[:50]
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: rows %v\nwant %v", what, head(got), head(want))
		}
	}

	// First page: the live one, then the newest seeds; 50 rows.
	d := open("experiments", "/experiments")
	t.Logf("first page of %d experiments drawn in %s", n+1, d.Round(time.Millisecond))
	b.waitJS("the live row", rows+`.length === 50 && `+rows+`[0].dataset.id === '`+live.ID+`'`, 20*time.Second)
	checkPage("page 1", append([]string{live.ID}, wantRows(nil, newest)[:49]...))
	b.view("24-experiments-table", "")

	// Next, Next, Previous: keyset pages, the URL holds the cursor.
	all := append([]string{live.ID}, wantRows(nil, newest)...)
	for i, step := range []struct {
		button string
		page   int
	}{{"page-next", 2}, {"page-next", 3}, {"page-prev", 2}, {"page-first", 1}} {
		start := time.Now()
		b.do(step.button, 20*time.Second, chromedp.Click(chromedp.ID(step.button)))
		b.waitJS("page "+strconv.Itoa(step.page), `document.getElementById('page-number') && document.getElementById('page-number').textContent === 'Page `+strconv.Itoa(step.page)+`' && `+rows+`.length === 50`, 20*time.Second)
		t.Logf("step %d (%s to page %d) in %s", i, step.button, step.page, time.Since(start).Round(time.Millisecond))
		checkPage(fmt.Sprintf("page %d", step.page), all[(step.page-1)*50:])
		if hasCursor := strings.Contains(eval[string](b, `location.search`), "cursor="); hasCursor != (step.page > 1) {
			t.Errorf("page %d: URL %s", step.page, eval[string](b, `location.href`))
		}
	}

	// Sort by best score, highest first, then lowest first; rows without a
	// score (failed, cancelled, the live one) come last either way.
	scored := func(s seeded) bool { return s.status == "succeeded" }
	byScore := func(desc bool) func(a, b seeded) int {
		return func(a, c seeded) int {
			if a.score == c.score {
				return a.created.Compare(c.created) * map[bool]int{true: -1, false: 1}[desc]
			}
			if (a.score > c.score) == desc {
				return -1
			}
			return 1
		}
	}
	b.do("sort by score", 20*time.Second, chromedp.Click(chromedp.ID("sort-score")))
	b.waitJS("sorted by score", `location.search === '?sort=score' && document.getElementById('list-summary').textContent.includes('highest best score first')`, 20*time.Second)
	checkScores := func(desc bool) {
		t.Helper()
		got := eval[[]float64](b, rows+`.map(r => parseFloat(r.children[5].textContent))`)
		want := wantRows(scored, byScore(desc))[:50]
		for i := 1; i < len(got); i++ {
			if (desc && got[i] > got[i-1]) || (!desc && got[i] < got[i-1]) {
				t.Fatalf("scores out of order (desc %v): %v", desc, got)
			}
		}
		// Ties may go either way; the scores must be the seeds' top 50.
		var wantScores []float64
		for _, id := range want {
			for _, s := range seeds {
				if s.id == id {
					wantScores = append(wantScores, s.score)
				}
			}
		}
		for i := range got {
			if i < len(wantScores) && fmt.Sprintf("%.4f", got[i]) != fmt.Sprintf("%.4f", wantScores[i]) {
				t.Fatalf("score %d is %v, want %v (desc %v)", i, got[i], wantScores[i], desc)
			}
		}
	}
	checkScores(true)
	if got := eval[string](b, `document.querySelector('#sort-score').closest('th').getAttribute('aria-sort')`); got != "descending" {
		t.Errorf("score header aria-sort %q", got)
	}
	b.do("sort by score ascending", 20*time.Second, chromedp.Click(chromedp.ID("sort-score")))
	b.waitJS("ascending", `location.search.includes('order=asc') && document.querySelector('#sort-score').closest('th').getAttribute('aria-sort') === 'ascending' && document.getElementById('list-summary').textContent.includes('lowest best score first')`, 20*time.Second)
	checkScores(false)
	// Duration, longest first.
	b.do("sort by duration", 20*time.Second, chromedp.Click(chromedp.ID("sort-duration")))
	b.waitJS("sorted by duration", `location.search === '?sort=duration' && document.getElementById('list-summary').textContent.includes('longest first')`, 20*time.Second)
	durs := eval[[]string](b, rows+`.map(r => r.children[7].textContent)`)
	if durs[0] != "10 min 9 s" && !strings.HasPrefix(durs[0], "10 min") {
		t.Errorf("longest first: %v", durs[:5])
	}

	// Filters, typed into the page: status, dataset, owner, priority, then
	// a name search. Each replaces the URL and shows only matching rows.
	loaded := `document.getElementById('list-summary').textContent !== '' || !document.getElementById('list-empty').hidden`
	setSel := func(id, v string) {
		b.waitJS("the choice "+v, loaded+` && [...document.getElementById('`+id+`').options].some(o => o.value === '`+v+`')`, 20*time.Second)
		eval[bool](b, fmt.Sprintf(`(() => { const s = document.getElementById(%q); s.value = %q; s.dispatchEvent(new Event('change', {bubbles: true})); return true; })()`, id, v))
	}
	open("plain list", "/experiments")
	b.waitJS("dataset choices", `document.querySelectorAll('#f-dataset option').length >= 4`, 20*time.Second)
	setSel("f-status", "failed")
	b.waitJS("status in URL", `location.search === '?status=failed' && `+rows+`.every(r => r.dataset.status === 'failed')`, 20*time.Second)
	setSel("f-dataset", dss[1])
	b.waitJS("dataset in URL", `location.search.includes('dataset=`+dss[1]+`') && document.getElementById('f-dataset').value === '`+dss[1]+`'`, 20*time.Second)
	b.waitJS("owner field", loaded+` && !document.getElementById('f-owner').closest('.field').hidden`, 20*time.Second)
	eval[bool](b, `(() => { const s = document.getElementById('f-owner'); s.value = 'bob'; s.dispatchEvent(new Event('change', {bubbles: true})); return true; })()`)
	b.waitJS("owner in URL", `location.search.includes('owner=bob')`, 20*time.Second)
	filtered := wantRows(func(s seeded) bool { return s.status == "failed" && s.dataset == dss[1] && s.owner == "bob" }, newest)
	b.waitJS("filtered rows", loaded+` && `+rows+`.length === `+strconv.Itoa(min(50, len(filtered))), 20*time.Second)
	checkPage("status+dataset+owner", filtered)
	shared := eval[string](b, `location.pathname + location.search`)
	b.view("25-experiments-filtered", "")
	// The same URL opened afresh (a shared link) shows the same rows and filters.
	b.do("blank", 10*time.Second, chromedp.Navigate("about:blank"))
	open("shared link", shared)
	b.waitJS("shared rows", rows+`.length === `+strconv.Itoa(min(50, len(filtered))), 20*time.Second)
	checkPage("shared link", filtered)
	if got := eval[string](b, `['f-status', 'f-dataset', 'f-owner'].map(id => document.getElementById(id).value).join(',')`); got != "failed,"+dss[1]+",bob" {
		t.Errorf("shared link's filter controls: %s", got)
	}
	// Priority and worker, then a search for "needle" typed in the box.
	open("priority", "/experiments?priority=high&worker=w-two")
	checkPage("priority=high&worker=w-two", wantRows(func(s seeded) bool { return s.priority == "high" && s.worker == "w-two" }, newest))
	open("task", "/experiments?task=regression")
	if got := ids(); len(got) != 0 {
		// Only the live one could be regression, once its engine ran.
		if len(got) != 1 || got[0] != live.ID {
			t.Errorf("task=regression: %v", head(got))
		}
	}
	open("list", "/experiments")
	b.do("type a search", 20*time.Second, chromedp.Click(chromedp.ID("f-q")), chromedp.SendKeys(chromedp.ID("f-q"), "needle"))
	b.waitJS("search in URL", `location.search === '?q=needle' && `+rows+`.length === 50 && `+rows+`.every(r => r.textContent.includes('needle'))`, 20*time.Second)
	if focused := eval[string](b, `document.activeElement.id`); focused != "f-q" {
		t.Errorf("after the search the focus is on %q, not the search box", focused)
	}
	checkPage("q=needle", wantRows(func(s seeded) bool { return strings.Contains(s.name, "needle") }, newest))

	// Only active rows refresh: a finished row keeps its element and text
	// while the live one moves on, and ends without a reload.
	open("list", "/experiments")
	b.waitJS("the live row running", `document.querySelector('tr[data-id="`+live.ID+`"]').dataset.status === 'running'`, 2*time.Minute)
	eval[bool](b, `(() => { window.__mark = 'same-document'; const r = document.querySelector('#experiments-table tbody tr:nth-child(2)'); r.__mark = 1; window.__text = r.textContent; return true; })()`)
	if _, err := cl.FinishExperiment(ctx, live.ID); err != nil {
		t.Fatal(err)
	}
	b.waitJS("the live row succeeded in place", `document.querySelector('tr[data-id="`+live.ID+`"]').dataset.status === 'succeeded' && window.__mark === 'same-document'`, 2*time.Minute)
	if !eval[bool](b, `(() => { const r = document.querySelector('#experiments-table tbody tr:nth-child(2)'); return r.__mark === 1 && r.textContent === window.__text; })()`) {
		t.Error("a finished row was redrawn")
	}
	if got := b.text(`tr[data-id="` + live.ID + `"] td:nth-child(6)`); got == "" {
		t.Error("the finished live row shows no score")
	}

	// A phone: the page itself never scrolls sideways (the table may, in its box).
	b.phone()
	open("phone list", "/experiments")
	if sw, cw := eval[int](b, `document.documentElement.scrollWidth`), eval[int](b, `document.documentElement.clientWidth`); sw > cw {
		t.Errorf("experiments page on a phone scrolls sideways: scrollWidth %d > clientWidth %d", sw, cw)
	}
	b.shot("26-phone-experiments")
	b.desktop()
}

// head is the first few of a list, for messages.
func head(s []string) []string {
	if len(s) > 6 {
		return append(s[:6:6], fmt.Sprintf("... (%d)", len(s)))
	}
	return s
}
