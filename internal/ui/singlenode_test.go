package ui_test

import (
	"context"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/drover-ml/drover/api"
	"github.com/drover-ml/drover/internal/config"
	"github.com/drover-ml/drover/internal/server"
	"github.com/drover-ml/drover/internal/testutil"
	"github.com/drover-ml/drover/internal/worker"
)

// TestSystemInfoSinglenode is the seed's check: with worker_mode singlenode,
// a real Redis and one `drover worker` on default settings, Resources >
// System Info shows 2 processors. An experiment then runs on that worker
// while the page follows it.
func TestSystemInfoSinglenode(t *testing.T) {
	b := newBrowser(t)
	rd := testutil.StartRedis(t)
	cfg := newConfig(t)
	cfg.WorkerMode = config.ModeSinglenode
	host, port, _ := strings.Cut(rd.Addr(), ":")
	cfg.RedisIP = host
	cfg.RedisPort, _ = strconv.Atoi(port)
	srv := startServer(t, cfg)
	startWorker(t, cfg)

	b.do("open overview", 20*time.Second, chromedp.Navigate(srv.URL()+"/"), chromedp.WaitVisible(chromedp.CSS(".stats")))
	b.do("Resources > System Info", 20*time.Second,
		chromedp.Click(chromedp.CSS(`#resources-menu summary`)),
		chromedp.Click(chromedp.CSS(`#resources-menu a[href="/system"]`), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.ID("workers-table")))
	b.waitJS("total processors 2", `document.getElementById('total-processors').textContent === '2'`, 30*time.Second)
	b.waitJS("one healthy worker", `document.querySelectorAll('#workers-table tbody tr').length === 1 && document.querySelector('#workers-table .badge').textContent === 'healthy'`, 10*time.Second)
	if mode := b.text("#worker-mode"); mode != "singlenode" {
		t.Errorf("worker mode %q, want singlenode", mode)
	}
	if cfg.WorkerRemoteProcessors != 2 {
		t.Fatalf("default worker_remote_processors is %d; the seed's check expects 2", cfg.WorkerRemoteProcessors)
	}
	b.shot("14-singlenode-system-info")

	cl := client(srv, "")
	ctx := context.Background()
	ds, err := cl.UploadDataset(ctx, examples("iris.csv"), nil)
	if err != nil {
		t.Fatal(err)
	}
	e, err := cl.CreateExperiment(ctx, api.Spec{DatasetID: ds.ID, Target: "species", Accuracy: 1, Time: 1, Interpretability: 1, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	b.do("open experiment", 20*time.Second, chromedp.Navigate(srv.URL()+"/experiments/"+e.ID), chromedp.WaitVisible(chromedp.ID("exp-status")))
	b.waitJS("experiment on the worker to succeed", `document.getElementById('exp-status').dataset.status === 'succeeded'`, 3*time.Minute)
	b.waitJS("plots", `document.querySelectorAll('#plots figure svg').length >= 2`, 20*time.Second)
	got, err := cl.GetExperiment(ctx, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Worker == "" || got.Worker == "local" {
		t.Errorf("experiment ran on %q, want the Redis worker", got.Worker)
	}

	// A GPU experiment waits: no worker has a GPU. The list says where and why.
	g, err := cl.CreateExperiment(ctx, api.Spec{DatasetID: ds.ID, Target: "species", GPUs: 1, Accuracy: 1, Time: 1})
	if err != nil {
		t.Fatal(err)
	}
	row := `#experiments-table tr[data-id="` + g.ID + `"]`
	b.do("open list", 20*time.Second, chromedp.Navigate(srv.URL()+"/experiments"), chromedp.WaitVisible(chromedp.CSS(row)))
	b.waitJS("queue place", `document.querySelector('`+row+`').textContent.includes('#1 in GPU queue')`, 10*time.Second)
	if !eval[bool](b, `!!document.querySelector('`+row+` .needs-person')`) {
		t.Error("the GPU experiment's row is not marked as waiting on a person")
	}
	// The overview shows the same alert.
	b.do("overview alert", 20*time.Second, chromedp.Navigate(srv.URL()+"/"), chromedp.WaitVisible(chromedp.CSS(".stats")))
	b.waitJS("overview alert", `!document.getElementById('alerts').hidden && document.getElementById('alerts').textContent.includes('needs a GPU')`, 10*time.Second)
	if got := eval[string](b, `[...document.querySelectorAll('.stat .label')].map(l => l.textContent).join(',')`); !strings.Contains(got, "Failed") || !strings.Contains(got, "Cancelled") {
		t.Errorf("overview counts %q lack Failed and Cancelled", got)
	}
	b.do("back to the list", 20*time.Second, chromedp.Navigate(srv.URL()+"/experiments"), chromedp.WaitVisible(chromedp.CSS(row)))
	t.Logf("queued row: %s", b.text(row))
	b.shot("15-queued-gpu-experiment")
	// System Info raises it as an alert: it can never run as things are.
	if info, err := cl.SystemInfo(ctx); err != nil || len(info.Alerts) != 1 || info.Alerts[0].Kind != "no_gpu" || info.Alerts[0].Count != 1 || info.Alerts[0].Experiments[0] != g.ID {
		t.Errorf("system info alerts %+v (err %v), want one no_gpu alert naming %s", info, err, g.ID)
	}
	b.do("system info alerts", 20*time.Second, chromedp.Navigate(srv.URL()+"/system"), chromedp.WaitVisible(chromedp.ID("workers-table")))
	b.waitJS("alert banner", `!document.getElementById('alerts').hidden`, 10*time.Second)
	if got := b.text("#alerts"); !strings.Contains(got, "1 experiment needs a GPU and no worker online has one") {
		t.Errorf("System Info alert reads %q", got)
	}
	b.shot("15b-system-info-alert")
	// Drain the worker from the page: it takes nothing new ("drained", as
	// nothing runs), then Resume makes it active again.
	b.do("drain", 10*time.Second, chromedp.Click(chromedp.CSS(`#workers-table button[data-action="drain"]`)))
	b.waitJS("drained", `document.querySelector('#workers-table .worker-state .state').textContent === 'drained'`, 15*time.Second)
	b.do("resume", 10*time.Second, chromedp.Click(chromedp.CSS(`#workers-table button[data-action="resume"]`)))
	b.waitJS("active again", `document.querySelector('#workers-table .worker-state .state').textContent === 'active'`, 15*time.Second)
	b.do("back to the list", 20*time.Second, chromedp.Navigate(srv.URL()+"/experiments"), chromedp.WaitVisible(chromedp.CSS(row)))

	// Cancel it from its page, through the confirmation dialog.
	b.do("cancel", 30*time.Second,
		chromedp.Click(chromedp.CSS(row+` a`)),
		chromedp.WaitVisible(chromedp.ID("cancel")),
		chromedp.Click(chromedp.ID("cancel")),
		chromedp.Click(chromedp.ID("cancel-confirm"), chromedp.NodeVisible))
	b.waitJS("cancelled", `document.getElementById('exp-status').dataset.status === 'cancelled'`, 20*time.Second)
	if !eval[bool](b, `document.getElementById('cancel').hidden`) {
		t.Error("Cancel button still shown on a cancelled experiment")
	}
	// A cancel reads as a cancel, not as a red failure.
	b.waitJS("cancel note", `!document.getElementById('exp-error').hidden`, 10*time.Second)
	if cls, msg := eval[string](b, `document.getElementById('exp-error').className`), b.text("#exp-error"); strings.Contains(cls, "alert-error") || strings.Contains(msg, "failed") || !strings.Contains(msg, "cancelled") {
		t.Errorf("cancelled experiment shows %q (class %q)", msg, cls)
	}

	// The form refuses impossible GPU counts at the field, before submit.
	b.do("open form", 20*time.Second, chromedp.Navigate(srv.URL()+"/experiments/new"), chromedp.WaitVisible(chromedp.ID("create-form")))
	for _, c := range []struct{ value, want string }{{"-3", "whole number"}, {"2.5", "whole number"}, {"2", "No worker online has"}} {
		eval[bool](b, `(() => { document.querySelector('details.advanced').open = true; const g = document.getElementById('gpus'); g.value = '`+c.value+`'; return true; })()`)
		// The worker count arrives with /system/info; wait for it before the GPU check.
		b.waitJS("gpu limit known", `document.getElementById('gpus').max === '0'`, 10*time.Second)
		b.do("launch", 10*time.Second, chromedp.Click(chromedp.ID("launch")))
		b.waitJS("gpus marked invalid", `document.getElementById('gpus').getAttribute('aria-invalid') === 'true'`, 10*time.Second)
		if msg := b.text("#gpus-error"); !strings.Contains(msg, c.want) {
			t.Errorf("gpus=%s: field error %q, want %q", c.value, msg, c.want)
		}
		if loc := eval[string](b, `location.pathname`); loc != "/experiments/new" {
			t.Fatalf("gpus=%s was submitted: page is %s", c.value, loc)
		}
	}
	b.shot("16-form-gpu-error")
}

// startWorker runs one worker with default settings next to the server,
// with its own data directory, until the test ends.
func startWorker(t *testing.T, serverCfg *config.Config) {
	t.Helper()
	wc := *serverCfg
	wc.DataDirectory = t.TempDir()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx, cancel := context.WithCancel(context.Background())
	q, err := server.OpenQueue(ctx, &wc, log)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	w, err := worker.New(ctx, &wc, log, q, worker.Options{})
	if err != nil {
		cancel()
		q.Close()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil && ctx.Err() == nil {
				t.Errorf("worker: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("worker did not stop within 30 s")
		}
		q.Close()
	})
}
