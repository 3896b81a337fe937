package ui_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/drover-ml/drover/api"
)

// TestRenameTagDelete: rename an experiment and tag it from its page (the
// title and the table follow), remove a tag, delete it through the
// confirmation dialog; a dataset in use by a running experiment is not
// deleted (the page says why), and once that one is cancelled it is.
func TestRenameTagDelete(t *testing.T) {
	b := newBrowser(t)
	srv := startServer(t, newConfig(t))
	base := srv.URL()
	cl := client(srv, "")
	ctx := context.Background()
	ds, err := cl.UploadDataset(ctx, examples("iris.csv"), nil)
	if err != nil {
		t.Fatal(err)
	}
	e, err := cl.CreateExperiment(ctx, api.Spec{DatasetID: ds.ID, Target: "species", Name: "first try", Accuracy: 1, Time: 1, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	b.do("open", 20*time.Second, chromedp.Navigate(base+"/experiments/"+e.ID), chromedp.WaitVisible(chromedp.ID("exp-status")))
	b.waitJS("succeeded", `document.getElementById('exp-status').dataset.status === 'succeeded' && !document.getElementById('delete').hidden`, 3*time.Minute)

	// Rename through the dialog.
	b.do("rename", 20*time.Second, chromedp.Click(chromedp.ID("rename")), chromedp.WaitVisible(chromedp.ID("rename-input")),
		chromedp.SetValue(chromedp.ID("rename-input"), "iris baseline"), chromedp.Click(chromedp.ID("rename-save")))
	b.waitJS("new name", `document.querySelector('h1').textContent === 'iris baseline' && document.title.startsWith('iris baseline')`, 20*time.Second)
	// Two tags, then one removed.
	for _, tag := range []string{"baseline", "v2"} {
		b.do("tag "+tag, 20*time.Second, chromedp.SetValue(chromedp.ID("tag-input"), tag), chromedp.Click(chromedp.ID("tag-add")))
		b.waitJS("chip "+tag, `!!document.querySelector('#tags li[data-tag="`+tag+`"]') && document.getElementById('tag-input').value === ''`, 20*time.Second)
	}
	got, err := cl.GetExperiment(ctx, e.ID)
	if err != nil || got.Spec.Name != "iris baseline" || !slices.Equal(got.Tags, []string{"baseline", "v2"}) {
		t.Fatalf("after rename and tags: name %q tags %v (%v)", got.Spec.Name, got.Tags, err)
	}
	b.view("27-rename-tags", "")
	b.do("remove v2", 20*time.Second, chromedp.Click(chromedp.CSS(`#tags li[data-tag="v2"] button`)))
	b.waitJS("v2 gone", `!document.querySelector('#tags li[data-tag="v2"]') && !!document.querySelector('#tags li[data-tag="baseline"]')`, 20*time.Second)
	// A bad tag is refused with the server's words.
	b.do("bad tag", 20*time.Second, chromedp.SetValue(chromedp.ID("tag-input"), "no spaces allowed"), chromedp.Click(chromedp.ID("tag-add")))
	b.waitJS("tag refused", `!document.getElementById('action-error').hidden`, 20*time.Second)
	if msg := b.text("#action-error"); !strings.Contains(msg, "bad_request") {
		t.Errorf("bad tag: %q", msg)
	}
	// The table shows the new name and the tag.
	row := `#experiments-table tr[data-id="` + e.ID + `"]`
	b.do("table", 20*time.Second, chromedp.Navigate(base+"/experiments"), chromedp.WaitVisible(chromedp.CSS(row)))
	if txt := b.text(row + " td:nth-child(2)"); !strings.Contains(txt, "iris baseline") {
		t.Errorf("table row reads %q", txt)
	}
	if chips := eval[string](b, `[...document.querySelectorAll('`+row+` .exp-tags .chip')].map(c => c.textContent).join(',')`); chips != "baseline" {
		t.Errorf("table row's tags %q, want baseline", chips)
	}

	// Delete: "Keep it" keeps it; confirming deletes it and goes to the list.
	b.do("open again", 20*time.Second, chromedp.Navigate(base+"/experiments/"+e.ID), chromedp.WaitVisible(chromedp.ID("delete")))
	b.do("delete, keep", 20*time.Second, chromedp.Click(chromedp.ID("delete")), chromedp.WaitVisible(chromedp.ID("delete-confirm")),
		chromedp.Click(chromedp.CSS(`#delete-dialog button[value="no"]`)))
	b.waitJS("dialog closed", `!document.getElementById('delete-dialog').open`, 10*time.Second)
	if _, err := cl.GetExperiment(ctx, e.ID); err != nil {
		t.Fatalf("kept experiment: %v", err)
	}
	b.do("delete, confirm", 20*time.Second, chromedp.Click(chromedp.ID("delete")), chromedp.WaitVisible(chromedp.ID("delete-confirm")),
		chromedp.Click(chromedp.ID("delete-confirm")))
	b.waitJS("back on the list", `location.pathname === '/experiments' && !!document.getElementById('filters')`, 20*time.Second)
	if _, err := cl.GetExperiment(ctx, e.ID); err == nil {
		t.Error("the experiment is still there after Delete")
	}

	// A dataset in use is not deleted; the page says why.
	long, err := cl.CreateExperiment(ctx, api.Spec{DatasetID: ds.ID, Target: "species", Accuracy: 10, Time: 10})
	if err != nil {
		t.Fatal(err)
	}
	b.do("dataset page", 20*time.Second, chromedp.Navigate(base+"/datasets/"+ds.ID), chromedp.WaitVisible(chromedp.ID("delete-dataset")))
	b.do("delete dataset", 20*time.Second, chromedp.Click(chromedp.ID("delete-dataset")), chromedp.WaitVisible(chromedp.ID("delete-confirm")),
		chromedp.Click(chromedp.ID("delete-confirm")))
	b.waitJS("refused", `!document.getElementById('action-error').hidden`, 20*time.Second)
	if msg := b.text("#action-error"); !strings.Contains(msg, "dataset_in_use") {
		t.Errorf("deleting a dataset in use: %q", msg)
	}
	b.view("28-dataset-in-use", "")
	if _, err := cl.CancelExperiment(ctx, long.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.FollowEvents(ctx, long.ID, 0, func(api.Event) error { return nil }); err != nil {
		t.Fatal(err)
	}
	b.do("delete dataset again", 20*time.Second, chromedp.Click(chromedp.ID("delete-dataset")), chromedp.WaitVisible(chromedp.ID("delete-confirm")),
		chromedp.Click(chromedp.ID("delete-confirm")))
	b.waitJS("on the datasets page", `location.pathname === '/datasets'`, 20*time.Second)
	if _, err := cl.GetDataset(ctx, ds.ID); err == nil {
		t.Error("the dataset is still there after Delete")
	}
}
