package ui_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/drover-ml/drover/api"
)

// TestWorkflow is what a user does: upload a dataset through the page,
// create an experiment with the form, watch it succeed without a reload,
// read the leaderboard and the plots, and check Resources > System Info.
func TestWorkflow(t *testing.T) {
	b := newBrowser(t)
	cfg := newConfig(t)
	srv := startServer(t, cfg)
	base := srv.URL()

	b.do("open overview", 20*time.Second, chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS(".stats")))
	b.shot("01-overview-empty")

	// Datasets: upload pima through the file input.
	b.do("open datasets", 20*time.Second, chromedp.Click(chromedp.CSS(`.mainnav a[href="/datasets"]`)), chromedp.WaitVisible(chromedp.ID("upload-file")))
	b.do("upload", 60*time.Second,
		chromedp.SetUploadFiles(chromedp.ID("upload-file"), []string{examples("pima_diabetes.csv")}),
		chromedp.WaitVisible(chromedp.ID("columns-table")))
	if got := b.text("h1"); got != "pima_diabetes.csv" {
		t.Fatalf("dataset page heading %q", got)
	}
	if n := eval[int](b, `document.querySelectorAll('#columns-table tbody tr').length`); n != 9 {
		t.Fatalf("column summary has %d rows, want 9", n)
	}
	if n := eval[int](b, `document.querySelectorAll('#columns-table .hist svg rect').length`); n == 0 {
		t.Fatal("column summary draws no histogram bars")
	}
	b.shot("02-dataset-columns")

	// The form: target class, quick dials.
	b.do("open form", 20*time.Second, chromedp.Click(chromedp.CSS(`a.btn[href^="/experiments/new"]`)), chromedp.WaitVisible(chromedp.ID("create-form")))
	if got := eval[string](b, `document.getElementById('target').value`); got != "class" {
		t.Fatalf("target preselected %q, want class", got)
	}
	b.shot("03-new-experiment")
	// Dials start on "auto" (the CLI's default): untick it, then set the slider.
	setRange := func(id, v string) string {
		return fmt.Sprintf(`(() => { const auto = document.getElementById(%[1]q + '-auto'); auto.checked = false; auto.dispatchEvent(new Event('change', {bubbles: true}));
			const el = document.getElementById(%[1]q); el.value = %[2]q; el.dispatchEvent(new Event('input', {bubbles: true})); return el.disabled ? 'disabled' : el.value; })()`, id, v)
	}
	// A categorical two-class target offers no regression or multiclass task.
	if got := eval[string](b, `[...document.getElementById('task').options].filter(o => !o.disabled).map(o => o.value).join(',')`); got != "auto,binary" {
		t.Errorf("tasks offered for the binary target class: %s, want auto,binary", got)
	}
	for _, id := range []string{"accuracy", "time", "interpretability"} {
		if got := eval[string](b, setRange(id, "1")); got != "1" {
			t.Fatalf("dial %s = %q", id, got)
		}
	}
	eval[string](b, `(() => { const el = document.getElementById('name'); el.value = 'pima from the UI'; return el.value; })()`)
	// Mark this document and record every status the page shows, from before
	// the click on, so we can tell a reload (the mark is lost) from live updates.
	eval[bool](b, `(() => {
		window.__droverDoc = 'same-document';
		window.__statuses = [];
		new MutationObserver(() => {
			const el = document.getElementById('exp-status');
			const s = el && el.dataset.status;
			if (s && window.__statuses[window.__statuses.length - 1] !== s) window.__statuses.push(s);
		}).observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true});
		return true;
	})()`)
	b.do("launch", 20*time.Second, chromedp.Click(chromedp.ID("launch")), chromedp.WaitVisible(chromedp.ID("exp-status")))
	loc := eval[string](b, `location.pathname`)
	if !strings.HasPrefix(loc, "/experiments/ex_") {
		t.Fatalf("after launch the page is %s", loc)
	}
	id := strings.TrimPrefix(loc, "/experiments/")
	b.waitJS("experiment to succeed", `document.getElementById('exp-status').dataset.status === 'succeeded'`, 3*time.Minute)
	if doc := eval[string](b, `String(window.__droverDoc)`); doc != "same-document" {
		t.Fatalf("the page reloaded while the experiment ran (mark %q)", doc)
	}
	statuses := eval[[]string](b, `window.__statuses`)
	if len(statuses) < 2 || statuses[len(statuses)-1] != "succeeded" {
		t.Fatalf("status element went through %v; want at least one earlier status, then succeeded", statuses)
	}
	t.Logf("status element showed %v", statuses)

	// Results: leaderboard, plots (SVG), artifacts, logs.
	b.waitJS("leaderboard", `document.querySelectorAll('#leaderboard-table tbody tr').length >= 2`, 20*time.Second)
	b.waitJS("plots", `document.querySelectorAll('#plots figure svg').length >= 4`, 20*time.Second)
	b.waitJS("artifacts", `document.querySelectorAll('#artifact-list a').length >= 2`, 20*time.Second)
	captions := eval[string](b, `[...document.querySelectorAll('#plots figcaption')].map(f => f.textContent).join('|')`)
	for _, want := range []string{"ROC curve", "Precision", "Confusion matrix", "Feature importance", "Mean |SHAP| contribution"} {
		if !strings.Contains(captions, want) {
			t.Errorf("plots %q lack %q", captions, want)
		}
	}
	if n := eval[int](b, `document.querySelectorAll('#exp-log > span').length`); n == 0 {
		t.Error("log shows no lines")
	}
	if bar := eval[string](b, `document.querySelector('.bar').dataset.progress`); bar != "100" {
		t.Errorf("progress bar at %s%%, want 100", bar)
	}
	e, err := client(srv, "").GetExperiment(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if e.Spec.Name != "pima from the UI" || e.Spec.Accuracy != 1 || e.Spec.Time != 1 || e.Spec.Interpretability != 1 || e.Spec.Target != "class" {
		t.Fatalf("the form sent %+v", e.Spec)
	}
	if got := b.text("h1"); got != "pima from the UI" {
		t.Errorf("experiment heading %q", got)
	}
	if got := eval[string](b, `document.title`); !strings.HasPrefix(got, "pima from the UI") {
		t.Errorf("tab title %q does not name the experiment", got)
	}
	b.shot("04-experiment-succeeded")

	// New experiment like this: the form starts from this experiment's spec
	// and launches a copy.
	b.do("clone", 20*time.Second, chromedp.Click(chromedp.ID("clone")), chromedp.WaitVisible(chromedp.ID("create-form")))
	b.waitJS("copied name", `document.getElementById('name').value === 'pima from the UI (copy)'`, 10*time.Second)
	if got := eval[string](b, `['accuracy','time','interpretability'].map(id => document.getElementById(id + '-auto').checked ? 'auto' : document.getElementById(id).value).join(',') + ' ' + document.getElementById('target').value`); got != "1,1,1 class" {
		t.Errorf("copied form has dials and target %q, want 1,1,1 class", got)
	}
	// The copy changes one setting: GLMs only.
	if got := eval[string](b, setRange("interpretability", "8")); got != "8" {
		t.Fatalf("copy's interpretability dial = %q", got)
	}
	b.do("launch the copy", 20*time.Second, chromedp.Click(chromedp.ID("launch")), chromedp.WaitVisible(chromedp.ID("exp-status")))
	b.waitJS("the copy's page", `location.pathname !== '/experiments/`+id+`' && location.pathname.startsWith('/experiments/ex_')`, 10*time.Second)
	copyID := strings.TrimPrefix(eval[string](b, `location.pathname`), "/experiments/")
	cp, err := client(srv, "").GetExperiment(context.Background(), copyID)
	if err != nil {
		t.Fatal(err)
	}
	if cp.Spec.Name != "pima from the UI (copy)" || cp.Spec.DatasetID != e.Spec.DatasetID || cp.Spec.Target != e.Spec.Target || cp.Spec.Accuracy != 1 || cp.Spec.Time != 1 || cp.Spec.Interpretability != 8 {
		t.Errorf("the copy was created with %+v, from %+v", cp.Spec, e.Spec)
	}
	b.waitJS("the copy to succeed", `document.getElementById('exp-status').dataset.status === 'succeeded'`, 3*time.Minute)
	// Compare the two: the changed dial is marked, both ROC curves overlaid.
	b.do("compare", 20*time.Second, chromedp.Navigate(base+"/experiments/compare?ids="+id+","+copyID), chromedp.WaitVisible(chromedp.ID("compare-spec")))
	b.waitJS("curves", `document.querySelectorAll('#compare-curves figure').length === 2`, 20*time.Second)
	if got := eval[string](b, `[...document.querySelectorAll('#compare-spec tr.differs')].map(r => r.dataset.field).join(',')`); got != "interpretability" {
		t.Errorf("rows marked as differing: %q, want interpretability", got)
	}
	if n := eval[int](b, `document.querySelector('#compare-curves figure svg').querySelectorAll('path').length`); n != 2 {
		t.Errorf("ROC chart overlays %d curves, want 2", n)
	}
	if n := eval[int](b, `document.querySelectorAll('.compare-lb').length`); n != 2 {
		t.Errorf("%d leaderboards, want 2", n)
	}
	b.shot("05b-compare")
	b.do("back to the original", 20*time.Second, chromedp.Navigate(base+"/experiments/"+id), chromedp.WaitVisible(chromedp.ID("score-file")))
	// That was a page load; the in-app navigations after it are checked again.
	eval[bool](b, `(() => { window.__droverDoc = 'same-document'; return true; })()`)

	// Score a file: the predictions come back as a download.
	b.do("score a file", 60*time.Second,
		chromedp.SetUploadFiles(chromedp.ID("score-file"), []string{examples("pima_diabetes.csv")}),
		chromedp.Click(chromedp.ID("score-go")),
		chromedp.WaitVisible(chromedp.ID("score-download")))
	if got := b.text("#score-result"); !strings.Contains(got, "768 rows scored") || !strings.Contains(got, "Columns: ") {
		t.Errorf("score result reads %q, want 768 rows and the columns", got)
	}
	// Download all: one zip archive.
	zipHead := eval[string](b, `fetch(document.getElementById('download-all').href).then(r => r.arrayBuffer()).then(b => String.fromCharCode(...new Uint8Array(b).slice(0, 2)))`, chromedp.EvalAwaitPromise)
	if zipHead != "PK" {
		t.Errorf("Download all gave %q, not a zip archive", zipHead)
	}

	// An artifact link downloads the real file.
	href := eval[string](b, `document.querySelector('#artifact-list a[href$="summary.json"]').getAttribute('href')`)
	body := eval[string](b, fmt.Sprintf(`fetch(%q).then(r => r.text())`, href), chromedp.EvalAwaitPromise)
	if !strings.Contains(body, `"leaderboard"`) {
		t.Errorf("summary.json from the artifact link: %.200s", body)
	}

	// The list shows it.
	b.do("open list", 20*time.Second, chromedp.Click(chromedp.CSS(`.mainnav a[href="/experiments"]`)), chromedp.WaitVisible(chromedp.CSS(`#experiments-table tr[data-id="`+id+`"]`)))
	if st := b.text(`#experiments-table tr[data-id="` + id + `"] .badge`); st != "succeeded" {
		t.Errorf("list shows status %q", st)
	}
	b.shot("05-experiments")

	// Resources > System Info, through the menu, as the seed's check does.
	b.do("open system info", 20*time.Second,
		chromedp.Click(chromedp.CSS(`#resources-menu summary`)),
		chromedp.Click(chromedp.CSS(`#resources-menu a[href="/system"]`), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.ID("workers-table")))
	want := strconv.Itoa(cfg.LocalProcessors())
	b.waitJS("total processors", `document.getElementById('total-processors').textContent === `+strconv.Quote(want), 10*time.Second)
	if mode := b.text("#worker-mode"); mode != "multiprocessing" {
		t.Errorf("worker mode %q", mode)
	}
	if crumb := b.text(".breadcrumb"); !strings.Contains(crumb, "Resources") || !strings.Contains(crumb, "System Info") {
		t.Errorf("breadcrumb %q", crumb)
	}
	if doc := eval[string](b, `String(window.__droverDoc)`); doc != "same-document" {
		t.Errorf("navigating reloaded the page")
	}
	b.shot("06-system-info")

	// A phone screen: the same pages stay usable (no sideways scroll of the page).
	b.phone()
	for _, p := range []struct {
		path, ready, name string
		views             []string // sections to scroll to for more screenshots
	}{
		{"/system", "#workers-table", "07-phone-system-info", nil},
		{"/experiments/" + id, "#leaderboard-table", "08-phone-experiment", []string{"#leaderboard", "#plots"}},
		{"/experiments/new", "#create-form", "09-phone-new-experiment", []string{".dials"}},
		{"/datasets", "#datasets-table", "10-phone-datasets", nil},
	} {
		b.do("phone "+p.path, 30*time.Second, chromedp.Navigate(base+p.path), chromedp.WaitVisible(chromedp.CSS(p.ready)))
		if w := eval[int](b, `document.documentElement.scrollWidth - document.documentElement.clientWidth`); w > 2 {
			t.Errorf("%s scrolls sideways by %d px on a phone", p.path, w)
		}
		b.view(p.name, "")
		for i, sel := range p.views {
			b.view(fmt.Sprintf("%s-%d", p.name, i+1), sel)
		}
	}
	b.desktop()
}

// TestPlotsByTask opens a multiclass and a regression experiment: the
// confusion matrix and actual vs predicted plots are drawn.
func TestPlotsByTask(t *testing.T) {
	b := newBrowser(t)
	srv := startServer(t, newConfig(t))
	cl := client(srv, "")
	ctx := context.Background()
	// iris with five rows whose species is blank: the engine drops them
	// with a warning, which the page pulls out of the log into a banner.
	irisRaw, err := os.ReadFile(examples("iris.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(irisRaw), "\n"), "\n")
	for i := len(lines) - 5; i < len(lines); i++ {
		lines[i] = lines[i][:strings.LastIndex(lines[i], ",")+1]
	}
	gappy := filepath.Join(t.TempDir(), "iris_gaps.csv")
	if err := os.WriteFile(gappy, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		file, target, task string
		captions           []string
		warning            string
	}{
		{"iris.csv", "species", "multiclass", []string{"Confusion matrix", "Feature importance"}, ""},
		{"slid_wages.csv", "wages", "regression", []string{"Actual vs predicted", "Feature importance"}, ""},
		{gappy, "species", "multiclass", []string{"Confusion matrix"}, "5 rows without a target value dropped"},
	} {
		path := c.file
		if !filepath.IsAbs(path) {
			path = examples(c.file)
		}
		ds, err := cl.UploadDataset(ctx, path, nil)
		if err != nil {
			t.Fatal(err)
		}
		e, err := cl.CreateExperiment(ctx, api.Spec{DatasetID: ds.ID, Target: c.target, Accuracy: 1, Time: 1, Interpretability: 1, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		b.do("open "+c.file, 20*time.Second, chromedp.Navigate(srv.URL()+"/experiments/"+e.ID), chromedp.WaitVisible(chromedp.ID("exp-status")))
		b.waitJS(c.file+" to succeed", `document.getElementById('exp-status').dataset.status === 'succeeded'`, 3*time.Minute)
		b.waitJS(c.file+" plots", `document.querySelectorAll('#plots figure svg').length >= 2`, 20*time.Second)
		captions := eval[string](b, `[...document.querySelectorAll('#plots figcaption')].map(f => f.textContent).join('|')`)
		for _, want := range c.captions {
			if !strings.Contains(captions, want) {
				t.Errorf("%s: plots %q lack %q", c.task, captions, want)
			}
		}
		task := eval[string](b, `[...document.querySelectorAll('dl.facts dt')].find(d => d.textContent === 'Task').nextElementSibling.textContent`)
		if !strings.Contains(task, c.task) {
			t.Errorf("%s: task shown as %q", c.file, task)
		}
		if c.warning != "" {
			if got := b.text("#exp-warnings"); !strings.Contains(got, c.warning) {
				t.Errorf("%s: warnings banner %q lacks %q", c.file, got, c.warning)
			}
		} else if !eval[bool](b, `document.getElementById('exp-warnings').hidden`) {
			t.Errorf("%s: warnings banner shown: %q", c.file, b.text("#exp-warnings"))
		}
		if c.task == "regression" {
			// The scatter's axes are round numbers from 0.
			ticks := eval[string](b, `[...document.querySelectorAll('#plots figure svg')].find(s => s.closest('figure').querySelector('figcaption').textContent.startsWith('Actual')).querySelectorAll('.axis text').length + ':' + [...document.querySelectorAll('#plots figure svg')].find(s => s.closest('figure').querySelector('figcaption').textContent.startsWith('Actual')).querySelector('.axis text').textContent`)
			// Labels: the y ticks, the x ticks and the two axis names.
			if n, first, _ := strings.Cut(ticks, ":"); first != "0" || atoi(n) < 3+3+2 {
				t.Errorf("scatter axes: %s labels, the first %q; want 0 first and at least 3 ticks a side", n, first)
			}
		}
		b.shot("11-plots-" + c.task + map[bool]string{true: "-warnings", false: ""}[c.warning != ""])
	}
}

// The Finish button stops a long search and the experiment ends succeeded
// with the best model found so far, on the same page.
func TestFinishButton(t *testing.T) {
	b := newBrowser(t)
	srv := startServer(t, newConfig(t))
	cl := client(srv, "")
	ctx := context.Background()
	ds, err := cl.UploadDataset(ctx, examples("slid_wages.csv"), nil)
	if err != nil {
		t.Fatal(err)
	}
	// The highest dials: a search of many minutes unless finished.
	e, err := cl.CreateExperiment(ctx, api.Spec{DatasetID: ds.ID, Target: "wages", Accuracy: 10, Time: 10})
	if err != nil {
		t.Fatal(err)
	}
	b.do("open the experiment", 20*time.Second, chromedp.Navigate(srv.URL()+"/experiments/"+e.ID), chromedp.WaitVisible(chromedp.ID("exp-status")))
	b.waitJS("the Finish button", `!document.getElementById('finish').hidden && document.getElementById('exp-status').dataset.status === 'running'`, time.Minute)
	b.waitJS("some progress", `parseFloat(document.querySelector('.bar').getAttribute('aria-valuenow') || '0') > 0 || document.getElementById('exp-log').textContent.includes('cv ')`, time.Minute)
	b.do("click Finish", 10*time.Second, chromedp.Click(chromedp.ID("finish")))
	b.waitJS("succeeded after Finish", `document.getElementById('exp-status').dataset.status === 'succeeded'`, 90*time.Second)
	b.waitJS("the leaderboard", `document.querySelectorAll('#results table tbody tr').length >= 1`, 20*time.Second)
	if log := b.text("#exp-log"); !strings.Contains(log, "finish requested") {
		t.Fatalf("the log does not show the finish request:\n%s", log)
	}
	b.shot("16-finished")
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
