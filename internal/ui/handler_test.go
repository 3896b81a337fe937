package ui_test

import (
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestHandler checks, without a browser, what the server serves for the UI:
// pages, assets with their types and ETags, 404s and the options in index.html.
func TestHandler(t *testing.T) {
	srv := startServer(t, newConfig(t))
	base := srv.URL()
	fetch := func(method, path string, hdr map[string]string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	for _, p := range []string{"/", "/datasets", "/datasets/ds_x", "/experiments", "/experiments/new", "/experiments/ex_x", "/system", "/login"} {
		resp, body := fetch("GET", p, nil)
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			t.Errorf("GET %s: %d %s", p, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if !strings.Contains(body, `"worker_mode":"multiprocessing"`) || !strings.Contains(body, `"name":"auc"`) {
			t.Errorf("GET %s: index.html lacks the server's options", p)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("GET %s: Content-Security-Policy %q", p, csp)
		}
	}
	if resp, body := fetch("GET", "/no/such/page", nil); resp.StatusCode != 404 || !strings.Contains(body, "drover-meta") {
		t.Errorf("unknown page: %d (want 404 with the app, which says so)", resp.StatusCode)
	}
	if resp, _ := fetch("POST", "/experiments", nil); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST to a page: %d, want 405", resp.StatusCode)
	}
	if resp, _ := fetch("GET", "/assets/js/nope.js", nil); resp.StatusCode != 404 {
		t.Errorf("missing asset: %d", resp.StatusCode)
	}
	for path, ctype := range map[string]string{
		"/assets/js/app.js":   "text/javascript",
		"/assets/css/app.css": "text/css",
		"/assets/favicon.svg": "image/svg+xml",
		"/assets/js/chart.js": "text/javascript",
	} {
		resp, _ := fetch("GET", path, nil)
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), ctype) {
			t.Errorf("GET %s: %d %q, want %s", path, resp.StatusCode, resp.Header.Get("Content-Type"), ctype)
		}
		etag := resp.Header.Get("ETag")
		if etag == "" {
			t.Errorf("GET %s: no ETag", path)
			continue
		}
		if again, _ := fetch("GET", path, map[string]string{"If-None-Match": etag}); again.StatusCode != http.StatusNotModified {
			t.Errorf("GET %s with its ETag: %d, want 304", path, again.StatusCode)
		}
	}
}

// TestImportsResolve checks that every module import in the app names an
// embedded file, so a typo fails here and not only in a browser.
func TestImportsResolve(t *testing.T) {
	root := filepath.Join("assets")
	imp := regexp.MustCompile(`(?m)^\s*import\s+(?:[^'"]+\s+from\s+)?['"]([^'"]+)['"]`)
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".js") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range imp.FindAllStringSubmatch(string(b), -1) {
			target := filepath.Join(filepath.Dir(p), m[1])
			if _, err := os.Stat(target); err != nil {
				t.Errorf("%s imports %s: %v", p, m[1], err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
