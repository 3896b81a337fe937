// Package ui is drover's web UI: a single-page app of plain HTML, CSS and
// JavaScript modules with no build step, every file embedded in the binary
// so the UI works with no internet. Charts are inline SVG drawn by the
// app's own code.
//
// The server mounts Handler on the page paths (Pages) and on /assets/; the
// app routes on the client with the history API, so every page path answers
// with the same index.html and the app draws the page the path names.
package ui

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed assets
var assetFS embed.FS

// AssetPrefix is the URL path under which the static files are served.
const AssetPrefix = "/assets/"

// Pages are the ServeMux patterns of the app's pages; each serves index.html.
var Pages = []string{
	"/{$}",
	"/datasets",
	"/datasets/{id}",
	"/experiments",
	"/experiments/new",
	"/experiments/compare",
	"/experiments/{id}",
	"/system",
	"/login",
}

// Scorer describes one scorer the create form offers.
type Scorer struct {
	Name           string   `json:"name"`
	Tasks          []string `json:"tasks"`
	HigherIsBetter bool     `json:"higher_is_better"`
}

// Options is what the app needs to know about the server it runs on. It
// travels in index.html as JSON, so the app needs no extra request to start.
type Options struct {
	Version                 string   `json:"version"`
	Auth                    bool     `json:"auth"` // an API token is configured: show login and logout
	WorkerMode              string   `json:"worker_mode"`
	AllowCommandExperiments bool     `json:"allow_command_experiments"`
	Scorers                 []Scorer `json:"scorers"`
}

// asset is one embedded file, ready to serve.
type asset struct {
	data []byte
	etag string
}

// handler serves index.html for pages and the embedded files for assets.
type handler struct {
	index  asset
	assets map[string]asset // by path under assets/, e.g. "js/app.js"
}

// metaMarker is replaced in index.html by the JSON of Options.
const metaMarker = "{{META}}"

// Handler returns the UI's handler: requests under AssetPrefix get the
// embedded files, any other GET gets index.html (status 404 for a path
// that is none of Pages, so the app shows "page not found").
func Handler(opts Options) (http.Handler, error) {
	h := &handler{assets: map[string]asset{}}
	err := fs.WalkDir(assetFS, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := assetFS.ReadFile(p)
		if err != nil {
			return err
		}
		h.assets[strings.TrimPrefix(p, "assets/")] = newAsset(b)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("ui: read embedded assets: %w", err)
	}
	idx, ok := h.assets["index.html"]
	if !ok {
		return nil, fmt.Errorf("ui: index.html is not embedded")
	}
	delete(h.assets, "index.html")
	if opts.Scorers == nil {
		opts.Scorers = []Scorer{}
	}
	meta, err := json.Marshal(opts) // escapes <, > and &: safe inside <script>
	if err != nil {
		return nil, fmt.Errorf("ui: encode options: %w", err)
	}
	if !bytes.Contains(idx.data, []byte(metaMarker)) {
		return nil, fmt.Errorf("ui: index.html lacks %s", metaMarker)
	}
	h.index = newAsset(bytes.Replace(idx.data, []byte(metaMarker), meta, 1))
	return h, nil
}

func newAsset(b []byte) asset {
	sum := sha256.Sum256(b)
	return asset{data: b, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
}

// contentSecurityPolicy allows only the app's own files: no inline script,
// no third-party origin. SVG is built through the DOM, which the policy allows.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	hdr := w.Header()
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Referrer-Policy", "same-origin")
	if name, ok := strings.CutPrefix(r.URL.Path, AssetPrefix); ok {
		a, found := h.assets[path.Clean("/" + name)[1:]]
		if !found {
			http.NotFound(w, r)
			return
		}
		// No hashed file names, so browsers revalidate; the ETag makes that cheap.
		hdr.Set("Cache-Control", "no-cache")
		hdr.Set("ETag", a.etag)
		http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(a.data))
		return
	}
	hdr.Set("Content-Security-Policy", contentSecurityPolicy)
	hdr.Set("X-Frame-Options", "DENY")
	hdr.Set("Cache-Control", "no-cache")
	hdr.Set("Content-Type", "text/html; charset=utf-8")
	status := http.StatusOK
	if !isPage(r) {
		status = http.StatusNotFound
	} else if match := r.Header.Get("If-None-Match"); match == h.index.etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	hdr.Set("ETag", h.index.etag)
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(h.index.data)
	}
}

// isPage reports whether the request was routed by one of Pages (the mux
// sets Pattern); a catch-all mount gets index.html with a 404.
func isPage(r *http.Request) bool {
	p := r.Pattern
	if i := strings.IndexByte(p, ' '); i >= 0 {
		p = p[i+1:]
	}
	for _, pg := range Pages {
		if p == pg {
			return true
		}
	}
	return false
}
