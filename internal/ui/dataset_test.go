package ui_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/drover-ml/drover/api"
	"github.com/drover-ml/drover/internal/engine/metric"
)

// TestDatasetPageAndPriority: the same file uploaded twice through the page
// is one dataset (listed once); the dataset's page lists the experiments run
// on it, best CV score first, and none of another dataset's; the form
// offers high priority only to users who may use it.
func TestDatasetPageAndPriority(t *testing.T) {
	b := newBrowser(t)
	cfg := newConfig(t)
	cfg.APIToken = testToken
	srv := startServer(t, cfg)
	base := srv.URL()
	ctx := context.Background()
	admin := client(srv, testToken)
	u, err := admin.CreateUser(ctx, "alice", false)
	if err != nil {
		t.Fatal(err)
	}
	alice := client(srv, u.Token)
	login := func(who, token string) {
		b.do("log in as "+who, 20*time.Second, chromedp.Navigate(base+"/datasets"), chromedp.WaitVisible(chromedp.ID("token")),
			chromedp.SetValue(chromedp.ID("token"), token), chromedp.Click(chromedp.ID("login-submit")),
			chromedp.WaitVisible(chromedp.ID("upload-file")))
	}
	login("alice", u.Token)
	var dsID string
	for i := range 2 {
		b.do("upload iris", 60*time.Second, chromedp.Navigate(base+"/datasets"), chromedp.WaitVisible(chromedp.ID("upload-file")),
			chromedp.SetUploadFiles(chromedp.ID("upload-file"), []string{examples("iris.csv")}),
			chromedp.WaitVisible(chromedp.ID("columns-table")))
		id := strings.TrimPrefix(eval[string](b, `location.pathname`), "/datasets/")
		if i == 0 {
			dsID = id
		} else if id != dsID {
			t.Errorf("second upload of iris.csv opened %s, want the first one %s", id, dsID)
		}
	}
	list, err := alice.ListDatasets(ctx)
	if err != nil || len(list) != 1 {
		t.Fatalf("alice has %d datasets after uploading iris.csv twice (%v), want 1", len(list), err)
	}
	b.do("datasets list", 20*time.Second, chromedp.Navigate(base+"/datasets"), chromedp.WaitVisible(chromedp.CSS(`a[href="/datasets/`+dsID+`"]`)))
	if n := eval[int](b, `document.querySelectorAll('a[href="/datasets/`+dsID+`"]').length`); n != 1 {
		t.Errorf("the datasets page lists iris.csv %d times", n)
	}

	// Three experiments on iris with different dials, one on another dataset.
	other, err := alice.UploadDataset(ctx, examples("vote.csv"), nil)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i, sp := range []api.Spec{
		{DatasetID: dsID, Target: "species", Name: "iris glm", Models: []string{"glm"}, Accuracy: 1, Time: 1, Seed: 1},
		{DatasetID: dsID, Target: "species", Name: "iris gbm", Models: []string{"gbm"}, Accuracy: 1, Time: 1, Seed: 2},
		{DatasetID: dsID, Target: "species", Name: "iris both", Accuracy: 1, Time: 1, Interpretability: 9, Seed: 3},
		{DatasetID: other.ID, Target: "Class", Name: "vote", Accuracy: 1, Time: 1, Seed: 4},
	} {
		e, err := alice.CreateExperiment(ctx, sp)
		if err != nil {
			t.Fatalf("experiment %d: %v", i, err)
		}
		ids = append(ids, e.ID)
	}
	for _, id := range ids {
		if _, err := alice.FollowEvents(ctx, id, 0, func(api.Event) error { return nil }); err != nil {
			t.Fatal(err)
		}
	}
	b.do("dataset page", 20*time.Second, chromedp.Navigate(base+"/datasets/"+dsID), chromedp.WaitVisible(chromedp.ID("dataset-experiments-table")))
	got := eval[[]string](b, `[...document.querySelectorAll('#dataset-experiments-table tbody tr')].map(r => r.dataset.id)`)
	if len(got) != 3 {
		t.Fatalf("dataset page lists %v, want the 3 iris experiments", got)
	}
	// Best first, in the scorer's direction, as the API's summaries say.
	var prev *api.Experiment
	for _, id := range got {
		e, err := alice.GetExperiment(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if e.Status != api.StatusSucceeded || e.Summary == nil {
			t.Fatalf("%s %s", id, e.Status)
		}
		if prev != nil {
			a, c := prev.Summary.Best.CVScore, e.Summary.Best.CVScore
			if sc, ok := metric.Get(e.Summary.Scorer); !ok || sc.Better(c, a) {
				t.Errorf("dataset page ranks %s (%s %v) above %s (%v)", prev.ID, e.Summary.Scorer, a, id, c)
			}
		}
		prev = e
	}
	if !eval[bool](b, `document.querySelector('#dataset-experiments-table tbody tr').classList.contains('best')`) {
		t.Error("the best experiment is not marked")
	}
	b.shot("23-dataset-experiments")

	// Pick two in the experiments table and compare them.
	b.do("table", 20*time.Second, chromedp.Navigate(base+"/experiments"), chromedp.WaitVisible(chromedp.CSS(`tr[data-id="`+got[0]+`"] input.pick`)))
	for _, id := range got[:2] {
		b.do("pick "+id, 10*time.Second, chromedp.Click(chromedp.CSS(`tr[data-id="`+id+`"] input.pick`)))
	}
	b.waitJS("compare enabled", `!document.getElementById('compare').disabled && document.getElementById('compare').textContent === 'Compare 2'`, 10*time.Second)
	b.do("compare", 20*time.Second, chromedp.Click(chromedp.ID("compare")), chromedp.WaitVisible(chromedp.ID("compare-spec")))
	if loc := eval[string](b, `location.pathname + location.search`); loc != "/experiments/compare?ids="+got[0]+","+got[1] {
		t.Errorf("compare opened %s", loc)
	}

	// Priority: alice may ask for normal or low; the admin also for high.
	prios := func() string {
		b.do("open form", 20*time.Second, chromedp.Navigate(base+"/experiments/new"), chromedp.WaitVisible(chromedp.ID("create-form")))
		b.waitJS("priorities known", `document.getElementById('priority').options.length !== 2 || document.getElementById('priority-hint').textContent.includes('admins')`, 10*time.Second)
		return eval[string](b, `[...document.getElementById('priority').options].map(o => o.value).join(',') + '=' + document.getElementById('priority').value`)
	}
	if got := prios(); got != "normal,low=normal" {
		t.Errorf("alice's priorities %q, want normal,low=normal", got)
	}
	b.do("log out", 20*time.Second, chromedp.Click(chromedp.CSS(`#logout-form button`)), chromedp.WaitVisible(chromedp.ID("token")))
	login("admin", testToken)
	if got := prios(); got != "high,normal,low=normal" {
		t.Errorf("admin's priorities %q, want high,normal,low=normal", got)
	}
	// The admin launches a high-priority experiment from the form.
	eval[bool](b, `(() => { const s = document.getElementById('priority'); s.value = 'high'; s.dispatchEvent(new Event('change', {bubbles: true})); return true; })()`)
	b.do("launch high", 20*time.Second, chromedp.Click(chromedp.ID("launch")), chromedp.WaitVisible(chromedp.ID("exp-status")))
	id := strings.TrimPrefix(eval[string](b, `location.pathname`), "/experiments/")
	e, err := admin.GetExperiment(ctx, id)
	if err != nil || e.Spec.Priority != "high" {
		t.Errorf("launched experiment %s has priority %q (%v), want high", id, e.Spec.Priority, err)
	}
}
