package ui_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/drover-ml/drover/api"
)

// TestLoginWithPasswordBrowser logs in through the page with a user name and
// the password the user set (drover user passwd): a wrong one is refused on
// the page, the right one opens the experiment the login was asked for,
// whose log shows who renamed it.
func TestLoginWithPasswordBrowser(t *testing.T) {
	b := newBrowser(t)
	cfg := newConfig(t)
	cfg.APIToken = testToken
	cfg.AllowCommandExperiments = true
	srv := startServer(t, cfg)
	base := srv.URL()
	ctx := context.Background()
	admin := client(srv, testToken)
	u, err := admin.CreateUser(ctx, "carol", false)
	if err != nil {
		t.Fatal(err)
	}
	carol := client(srv, u.Token)
	if _, err := carol.SetPassword(ctx, "carol", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	ds, err := carol.UploadDataset(ctx, examples("iris.csv"), nil)
	if err != nil {
		t.Fatal(err)
	}
	e, err := carol.CreateExperiment(ctx, api.Spec{DatasetID: ds.ID, Command: "true"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := carol.RenameExperiment(ctx, e.ID, "carol's first"); err != nil {
		t.Fatal(err)
	}

	b.do("open the experiment", 20*time.Second, chromedp.Navigate(base+"/experiments/"+e.ID), chromedp.WaitVisible(chromedp.ID("user")))
	b.do("wrong password", 20*time.Second,
		chromedp.SetValue(chromedp.ID("user"), "carol"),
		chromedp.SetValue(chromedp.ID("password"), "not her password"),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.ID("login-error")))
	if msg := b.text("#login-error"); !strings.Contains(msg, "do not match") {
		t.Errorf("wrong-password message %q", msg)
	}
	b.do("right password", 20*time.Second,
		chromedp.SetValue(chromedp.ID("password"), "correct horse battery"),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.ID("exp-log")))
	if loc := eval[string](b, `location.pathname`); loc != "/experiments/"+e.ID {
		t.Fatalf("after login the page is %s", loc)
	}
	b.waitJS("the rename in the log", `[...document.querySelectorAll('#exp-log .actor')].some(a => a.dataset.actor === 'carol')`, 20*time.Second)
	line := eval[string](b, `[...document.querySelectorAll('#exp-log .actor')].map(a => a.parentElement.textContent).find(t => t.includes('renamed')) || ''`)
	if !strings.Contains(line, "@carol") || !strings.Contains(line, `renamed to "carol's first" by carol`) {
		t.Errorf("log line of the rename: %q", line)
	}
	b.shot("18-login-password-log")
}
