package ui_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/drover-ml/drover/api"
)

// attackPage is a page on another origin (another port of 127.0.0.1) that
// tries to make the visitor's browser create a command experiment on the
// drover server: first with fetch (no-cors, text/plain), then with a
// text/plain form whose body reads as JSON.
const attackPage = `<!doctype html><html><body>
<form id="f" method="POST" action="%[1]s/api/v1/experiments" enctype="text/plain">
<input type="hidden" name='{"dataset_id":"%[2]s","command":"touch %[3]s #' value='"}'>
</form>
<script>
fetch(%[1]q + '/api/v1/experiments', {method: 'POST', mode: 'no-cors', credentials: 'include',
  headers: {'Content-Type': 'text/plain'}, body: JSON.stringify({dataset_id: %[2]q, command: 'touch %[4]s'})})
  .catch(() => {})
  .finally(() => { document.title = 'fetched'; document.getElementById('f').submit(); });
</script></body></html>`

// TestCrossSiteCommand is the attack of issue 10 in a real browser: a
// logged-in user visits a page served on another port of the same host,
// which posts a command experiment to the drover server. The command must
// never run, on a server with a token (the browser holds a login cookie)
// and on a token-less one; the server keeps serving, and the same request
// from the server's own page still works.
func TestCrossSiteCommand(t *testing.T) {
	for _, withToken := range []bool{true, false} {
		t.Run(fmt.Sprintf("token=%v", withToken), func(t *testing.T) {
			b := newBrowser(t)
			cfg := newConfig(t)
			cfg.AllowCommandExperiments = true
			token := ""
			if withToken {
				token = testToken
				cfg.APIToken = token
			}
			srv := startServer(t, cfg)
			base := srv.URL()
			cl := client(srv, token)
			ctx := context.Background()
			ds, err := cl.UploadDataset(ctx, examples("iris.csv"), nil)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			formMarker, fetchMarker, ownMarker := filepath.Join(dir, "pwned-form"), filepath.Join(dir, "pwned-fetch"), filepath.Join(dir, "own")

			if withToken {
				b.do("log in", 20*time.Second, chromedp.Navigate(base+"/experiments"),
					chromedp.WaitVisible(chromedp.ID("token")),
					chromedp.SetValue(chromedp.ID("token"), token),
					chromedp.Click(chromedp.ID("login-submit")),
					chromedp.WaitVisible(chromedp.ID("new-experiment")))
			}

			evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				fmt.Fprintf(w, attackPage, base, ds.ID, formMarker, fetchMarker)
			}))
			defer evil.Close()
			if evil.URL == base {
				t.Fatal("the attacking page must be on another port")
			}
			b.do("visit the attacking page", 20*time.Second, chromedp.Navigate(evil.URL))
			// The form's submission replaces the page with the server's answer.
			answer := pageAt(t, b, base, 20*time.Second)
			if !strings.Contains(answer, "cross_origin") {
				t.Errorf("the cross-site form got %q, want a cross_origin error", answer)
			}

			list, err := cl.ListExperiments(ctx, "")
			if err != nil {
				t.Fatalf("server no longer serving: %v", err)
			}
			if len(list) != 0 {
				t.Fatalf("cross-site requests created %d experiment(s): %+v", len(list), list[0].Spec)
			}

			// The server's own page may still create one: the cookie (or no
			// token) is enough from the same origin, so the refusal above was
			// the origin check and nothing else.
			b.do("back to the app", 20*time.Second, chromedp.Navigate(base+"/experiments"), chromedp.WaitVisible(chromedp.ID("new-experiment")))
			status := eval[float64](b, fmt.Sprintf(`fetch('/api/v1/experiments', {method: 'POST', headers: {'Content-Type': 'application/json', Accept: 'application/json'},
				body: JSON.stringify({dataset_id: %q, command: 'touch %s'})}).then(r => r.status)`, ds.ID, ownMarker), chromedp.EvalAwaitPromise)
			if status != http.StatusCreated {
				t.Fatalf("same-origin create from the app: %v, want 201", status)
			}
			list, err = cl.ListExperiments(ctx, "")
			if err != nil || len(list) != 1 {
				t.Fatalf("after the app's own create: %d experiments, %v", len(list), err)
			}
			waitDone(t, cl, list[0].ID)
			if _, err := os.Stat(ownMarker); err != nil {
				t.Fatalf("the app's own command did not run: %v", err)
			}
			for _, m := range []string{formMarker, fetchMarker} {
				if _, err := os.Stat(m); err == nil {
					t.Errorf("the cross-site command ran: %s exists", m)
				}
			}
		})
	}
}

// pageAt waits (across navigations) until the tab shows a page under
// prefix and returns its text.
func pageAt(t *testing.T, b *browser, prefix string, d time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
		text, err := chromedp.Run(ctx, chromedp.Evaluate[string](
			`location.href.startsWith(`+fmt.Sprintf("%q", prefix)+`) && document.readyState === 'complete' ? document.body.innerText : ''`))
		cancel()
		if err == nil && text != "" {
			return text
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("the tab never showed a page under %s", prefix)
	return ""
}

// waitDone waits until experiment id has ended and fails unless it succeeded.
func waitDone(t *testing.T, cl *api.Client, id string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e, err := cl.FollowEvents(ctx, id, 0, func(api.Event) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if e.Status != api.StatusSucceeded {
		t.Fatalf("experiment %s %s: %+v", id, e.Status, e.Error)
	}
}
