package ui_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/drover-ml/drover/api"
)

// TestTwoUsers logs the browser in as alice, then as bob: each sees only
// their own experiment (the owner column says whose), and the other's page
// answers "not found". The bootstrap admin sees both.
func TestTwoUsers(t *testing.T) {
	b := newBrowser(t)
	cfg := newConfig(t)
	cfg.APIToken = testToken
	srv := startServer(t, cfg)
	base := srv.URL()
	ctx := context.Background()
	admin := client(srv, testToken)

	mine := map[string]string{} // user → experiment id
	tokens := map[string]string{}
	for _, name := range []string{"alice", "bob"} {
		u, err := admin.CreateUser(ctx, name, false)
		if err != nil {
			t.Fatal(err)
		}
		tokens[name] = u.Token
		cl := client(srv, u.Token)
		ds, err := cl.UploadDataset(ctx, examples("iris.csv"), nil)
		if err != nil {
			t.Fatal(err)
		}
		e, err := cl.CreateExperiment(ctx, api.Spec{DatasetID: ds.ID, Target: "species", Name: name + "'s iris", Accuracy: 1, Time: 1, Interpretability: 1, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		mine[name] = e.ID
	}
	rows := `[...document.querySelectorAll('#experiments-table tbody tr')]`
	login := func(who, token string) {
		b.do("log in as "+who, 20*time.Second, chromedp.Navigate(base+"/experiments"), chromedp.WaitVisible(chromedp.ID("token")),
			chromedp.SetValue(chromedp.ID("token"), token), chromedp.Click(chromedp.ID("login-submit")),
			chromedp.WaitVisible(chromedp.ID("new-experiment")))
	}
	logout := func() {
		b.do("log out", 20*time.Second, chromedp.Click(chromedp.CSS(`#logout-form button`)), chromedp.WaitVisible(chromedp.ID("token")))
	}
	for _, c := range []struct{ who, other string }{{"alice", "bob"}, {"bob", "alice"}} {
		login(c.who, tokens[c.who])
		b.waitJS(c.who+"'s list", rows+`.length === 1`, 20*time.Second)
		if got := eval[string](b, rows+`.map(r => r.dataset.id + ' ' + r.textContent).join('|')`); !strings.HasPrefix(got, mine[c.who]+" ") || !strings.Contains(got, c.who) {
			t.Errorf("%s's list: %q, want only %s, owned by %s", c.who, got, mine[c.who], c.who)
		}
		b.do(c.who+" opens "+c.other+"'s experiment", 20*time.Second, chromedp.Navigate(base+"/experiments/"+mine[c.other]), chromedp.WaitVisible(chromedp.CSS(".alert-error")))
		if msg := b.text(".alert-error"); !strings.Contains(msg, "not_found") && !strings.Contains(strings.ToLower(msg), "no experiment") {
			t.Errorf("%s sees %s's experiment page: %q", c.who, c.other, msg)
		}
		b.shot("17-user-" + c.who)
		logout()
	}
	login("admin", testToken)
	b.waitJS("admin sees both", rows+`.length === 2`, 20*time.Second)
	owners := eval[string](b, rows+`.map(r => r.querySelector('td.owner').textContent).sort().join(',')`)
	if owners != "alice,bob" {
		t.Errorf("owner column for the admin: %q, want alice,bob", owners)
	}
	b.shot("17-user-admin")
}
