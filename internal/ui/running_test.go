package ui_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/drover-ml/drover/api"
	"github.com/drover-ml/drover/internal/config"
	"github.com/drover-ml/drover/internal/testutil"
)

// TestRunningView follows a long search on a real Redis worker: the Search
// card shows the time used of the budget, a leaderboard that fills as
// candidates are scored (plan and candidate events through the worker) and
// the score-over-time chart; on a phone the page does not scroll sideways
// and the live leaderboard keeps its parameters under the model. Finish
// ends it; the final leaderboard replaces the live one, the chart stays and
// a reload replays the same candidates.
func TestRunningView(t *testing.T) {
	b := newBrowser(t)
	rd := testutil.StartRedis(t)
	cfg := newConfig(t)
	cfg.WorkerMode = config.ModeSinglenode
	host, port, _ := strings.Cut(rd.Addr(), ":")
	cfg.RedisIP = host
	cfg.RedisPort, _ = strconv.Atoi(port)
	srv := startServer(t, cfg)
	startWorker(t, cfg)
	cl := client(srv, "")
	ctx := context.Background()
	ds, err := cl.UploadDataset(ctx, examples("slid_wages.csv"), nil)
	if err != nil {
		t.Fatal(err)
	}
	// The highest dials: a search of many minutes unless finished.
	e, err := cl.CreateExperiment(ctx, api.Spec{DatasetID: ds.ID, Name: "wages, long search", Target: "wages", Accuracy: 10, Time: 10})
	if err != nil {
		t.Fatal(err)
	}
	b.do("open the experiment", 20*time.Second, chromedp.Navigate(srv.URL()+"/experiments/"+e.ID), chromedp.WaitVisible(chromedp.ID("exp-status")))
	b.waitJS("the plan", `!document.getElementById('live').hidden && document.getElementById('live-budget').textContent.includes('time budget')`, 2*time.Minute)
	b.waitJS("two candidates while it runs", `document.getElementById('exp-status').dataset.status === 'running' && document.querySelectorAll('#live-leaderboard tbody tr').length >= 2`, 4*time.Minute)
	if got := b.text("#live-budget"); !strings.HasPrefix(got, "Elapsed ") {
		t.Errorf("budget line %q", got)
	}
	// Lower is better for the regression default (rmse): rows ascend, the first is the best.
	scores := eval[[]float64](b, `[...document.querySelectorAll('#live-leaderboard tbody tr')].map(r => parseFloat(r.children[2].textContent.replace(/,/g, '')))`)
	for i := 1; i < len(scores); i++ {
		if scores[i] < scores[i-1] {
			t.Errorf("live leaderboard not best first: %v", scores)
		}
	}
	if !eval[bool](b, `document.querySelector('#live-leaderboard tbody tr').classList.contains('best')`) {
		t.Error("the first live row is not marked best")
	}
	if dots, rows := eval[int](b, `document.querySelectorAll('#live-chart circle').length`), eval[int](b, `document.querySelectorAll('#live-leaderboard tbody tr').length`); dots < rows || dots == 0 {
		t.Errorf("score-over-time chart has %d dots for %d rows", dots, rows)
	}
	if !eval[bool](b, `!!document.querySelector('#live-chart path.series')`) {
		t.Error("no best-so-far line in the score-over-time chart")
	}
	b.view("20-running-search", "#live")

	b.phone()
	b.waitJS("phone layout", `window.innerWidth === 390`, 10*time.Second)
	if sw, cw := eval[int](b, `document.documentElement.scrollWidth`), eval[int](b, `document.documentElement.clientWidth`); sw > cw {
		t.Errorf("running view on a phone scrolls sideways: scrollWidth %d > clientWidth %d", sw, cw)
	}
	if !eval[bool](b, `(() => { const r = document.querySelector('#live-leaderboard tbody tr'); const inl = r.querySelector('.params-inline');
		return getComputedStyle(r.querySelector('td.params')).display === 'none' && (!inl || getComputedStyle(inl).display === 'block'); })()`) {
		t.Error("on a phone the live leaderboard's parameters are not under the model")
	}
	if w := eval[float64](b, `document.querySelector('#live-leaderboard').getBoundingClientRect().width`); w > 390 {
		t.Errorf("live leaderboard %v px wide on a 390 px screen", w)
	}
	b.view("21-phone-running-search", "#live")
	b.desktop()

	b.do("click Finish", 10*time.Second, chromedp.Click(chromedp.ID("finish")))
	b.waitJS("succeeded after Finish", `document.getElementById('exp-status').dataset.status === 'succeeded'`, 2*time.Minute)
	b.waitJS("the final leaderboard", `document.querySelectorAll('#leaderboard-table tbody tr').length >= 1`, 20*time.Second)
	b.waitJS("the live leaderboard gone, the chart kept", `!document.getElementById('live-leaderboard') && document.querySelectorAll('#live-chart circle').length >= 2`, 10*time.Second)
	if got := b.text("#live-budget"); !strings.HasPrefix(got, "Took ") {
		t.Errorf("budget line after the end %q", got)
	}
	dots := eval[int](b, `document.querySelectorAll('#live-chart circle').length`)
	evs, err := cl.Events(ctx, e.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ev := range evs {
		if ev.Type == api.EventCandidate {
			n++
		}
	}
	if n != dots {
		t.Errorf("chart has %d dots, the events %d candidates", dots, n)
	}
	// A reload replays the stored events: the same chart.
	b.do("reload", 20*time.Second, chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("exp-status")))
	b.waitJS("replayed chart", `document.querySelectorAll('#live-chart circle').length === `+strconv.Itoa(dots), 20*time.Second)
	b.shot("22-finished-search")
}
