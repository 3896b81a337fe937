package ui_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/drover-ml/drover/api"
	"github.com/drover-ml/drover/internal/server"
)

const testToken = "tok-7f3a9c-for-tests"

// noRedirect is an HTTP client that shows redirects instead of following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// TestLoginHTTP checks the login endpoints and what is served without a token.
func TestLoginHTTP(t *testing.T) {
	cfg := newConfig(t)
	cfg.APIToken = testToken
	srv := startServer(t, cfg)
	base := srv.URL()
	get := func(path string) *http.Response {
		t.Helper()
		resp, err := noRedirect.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for path, want := range map[string]string{
		"/":                "/login",
		"/experiments":     "/login?next=%2Fexperiments",
		"/system":          "/login?next=%2Fsystem",
		"/experiments/new": "/login?next=%2Fexperiments%2Fnew",
	} {
		resp := get(path)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != want {
			t.Errorf("GET %s without token: %d to %q, want 303 to %q", path, resp.StatusCode, resp.Header.Get("Location"), want)
		}
	}
	if resp := get("/api/v1/datasets"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("API without token: %d, want 401", resp.StatusCode)
	}
	for _, path := range []string{"/login", "/assets/js/app.js", "/assets/css/app.css"} {
		if resp := get(path); resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s without token: %d, want 200 (the login page needs it)", path, resp.StatusCode)
		}
	}

	post := func(form url.Values, accept string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, base+"/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	resp := post(url.Values{"token": {"wrong"}, "next": {"/system"}}, "")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login?error=wrong_token") || len(resp.Cookies()) != 0 {
		t.Errorf("wrong token (form): %d to %q, cookies %v", resp.StatusCode, resp.Header.Get("Location"), resp.Cookies())
	}
	resp = post(url.Values{"token": {"wrong"}}, "application/json")
	var body api.ErrorBody
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusUnauthorized || body.Error == nil || body.Error.Code != "wrong_token" {
		t.Errorf("wrong token (JSON): %d %+v %v", resp.StatusCode, body.Error, err)
	}
	resp = post(url.Values{"token": {testToken}, "next": {"//evil.example/x"}}, "")
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/" {
		t.Errorf("right token with a foreign next: %d to %q, want 303 to /", resp.StatusCode, loc)
	}
	var c *http.Cookie
	for _, k := range resp.Cookies() {
		if k.Name == server.SessionCookie {
			c = k
		}
	}
	if c == nil || c.Value == "" || strings.Contains(c.Value, testToken) || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" {
		t.Fatalf("login cookie %+v: want a session id (not the token) in %s, HttpOnly, SameSite=Strict, Path=/", c, server.SessionCookie)
	}
	req, _ := http.NewRequest(http.MethodGet, base+"/api/v1/system/info", nil)
	req.AddCookie(c)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("API with the login cookie: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
}

// TestLoginBrowser logs in through the page with a wrong and then the right
// token, uses the app, and logs out.
func TestLoginBrowser(t *testing.T) {
	b := newBrowser(t)
	cfg := newConfig(t)
	cfg.APIToken = testToken
	srv := startServer(t, cfg)
	base := srv.URL()

	b.do("open experiments", 20*time.Second, chromedp.Navigate(base+"/experiments"), chromedp.WaitVisible(chromedp.ID("token")))
	if loc := eval[string](b, `location.pathname + location.search`); loc != "/login?next=%2Fexperiments" {
		t.Fatalf("not redirected to the login page: %s", loc)
	}
	if !eval[bool](b, `document.getElementById('session').hidden`) {
		t.Error("logout button shown on the login page")
	}
	b.do("wrong token", 20*time.Second,
		chromedp.SetValue(chromedp.ID("token"), "not-the-token"),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.ID("login-error")))
	if msg := b.text("#login-error"); !strings.Contains(msg, "not this server's API token") {
		t.Errorf("wrong-token message %q", msg)
	}
	b.shot("12-login-error")
	b.phone()
	b.view("13-phone-login", "")
	b.desktop()

	b.do("right token", 20*time.Second,
		chromedp.SetValue(chromedp.ID("token"), testToken),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.ID("new-experiment")))
	if loc := eval[string](b, `location.pathname`); loc != "/experiments" {
		t.Fatalf("after login the page is %s, want /experiments", loc)
	}
	// The app's API calls work with the cookie: the list loads with no error.
	b.waitJS("list loaded", `!document.querySelector('.alert-error:not([hidden])') && document.querySelector('.empty') && !document.querySelector('.empty').hidden`, 10*time.Second)
	if eval[bool](b, `document.getElementById('session').hidden`) {
		t.Error("no logout button after login")
	}
	if eval[bool](b, `document.cookie.includes('drover_session')`) {
		t.Error("the login cookie is readable from JavaScript")
	}
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	cookies, err := chromedp.Run(ctx, chromedp.Action[network.GetCookiesResult](func(ctx context.Context, t *chromedp.Target) (network.GetCookiesResult, error) {
		return cdp.Call(ctx, t, network.GetCookies, network.GetCookiesParams{})
	}))
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range cookies.Cookies {
		if c.Name == server.SessionCookie {
			found = true
			if !c.HTTPOnly || c.SameSite != network.CookieSameSiteStrict {
				t.Errorf("browser cookie %+v: want HttpOnly, SameSite=Strict", c)
			}
		}
	}
	if !found {
		t.Fatal("the browser has no login cookie")
	}
	// Resources > System Info with the keyboard only: focus the menu, Enter
	// opens it, Tab reaches System Info, Enter follows it.
	b.do("system info by keyboard", 20*time.Second,
		chromedp.Focus(chromedp.CSS(`#resources-menu summary`)),
		chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(`#resources-menu a[href="/system"]`)),
		chromedp.KeyEvent(kb.Tab))
	if f := eval[string](b, `document.activeElement.textContent`); f != "System Info" {
		t.Fatalf("Tab after opening Resources focuses %q", f)
	}
	if outline := eval[string](b, `getComputedStyle(document.activeElement).outlineStyle`); outline == "none" {
		t.Error("the focused link shows no outline")
	}
	b.do("follow System Info", 20*time.Second, chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.ID("workers-table")))
	b.waitJS("processors", `document.getElementById('total-processors').textContent !== '\u2013'`, 10*time.Second)

	b.do("log out", 20*time.Second, chromedp.Click(chromedp.CSS(`#logout-form button`)), chromedp.WaitVisible(chromedp.ID("token")))
	b.do("after logout", 20*time.Second, chromedp.Navigate(base+"/system"), chromedp.WaitVisible(chromedp.ID("token")))
	if loc := eval[string](b, `location.pathname`); loc != "/login" {
		t.Errorf("after logout /system shows %s", loc)
	}
}
