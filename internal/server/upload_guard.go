package server

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/drover-ml/drover/internal/errcode"
)

// UploadIdleTimeout is how long an upload (a dataset, a predict body) may
// send no byte before it is dropped. A variable so that tests can shorten it.
var UploadIdleTimeout = 60 * time.Second

// bodyReadTimeout bounds reading the body of any other request.
const bodyReadTimeout = 30 * time.Second

// minFreeDisk is the share of the data directory's file system an upload
// must leave free.
const minFreeDisk = 0.05

// sniffLen is how much of an upload is checked to look like a dataset
// before more is accepted.
const sniffLen = 1 << 20

// diskCheckEvery is how many bytes an upload writes between free-space checks.
const diskCheckEvery = 16 << 20

// diskSpace reports the free and total bytes of the file system holding
// dir. A variable so that tests can make a full disk.
var diskSpace = statDisk

// errNoStatfs is statDisk's answer on a platform that cannot tell free
// space: there the check is skipped.
var errNoStatfs = errors.New("free disk space is not known on this platform")

// uploadGuard reads an upload's request body: it drops the connection when
// no byte comes for UploadIdleTimeout, refuses the body as soon as it
// passes limit (413 too_large) and stops when the disk would fill.
type uploadGuard struct {
	body  io.Reader
	rc    *http.ResponseController
	limit int64
	dir   string // where the upload is written, for free-space checks
	n     int64
	check int64 // n at the next free-space check
}

func newUploadGuard(w http.ResponseWriter, r *http.Request, limit int64, dir string) *uploadGuard {
	return &uploadGuard{body: r.Body, rc: http.NewResponseController(w), limit: limit, dir: dir, check: diskCheckEvery}
}

func (g *uploadGuard) Read(p []byte) (int, error) {
	_ = g.rc.SetReadDeadline(time.Now().Add(UploadIdleTimeout))
	if rest := g.limit + 1 - g.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	k, err := g.body.Read(p)
	g.n += int64(k)
	if g.n > g.limit {
		return k, errTooLarge(g.limit)
	}
	if g.n >= g.check && g.dir != "" {
		g.check = g.n + diskCheckEvery
		if err := checkDisk(g.dir, 0); err != nil {
			return k, err
		}
	}
	var ne interface{ Timeout() bool }
	if err != nil && errors.As(err, &ne) && ne.Timeout() {
		return k, apiErr(errcode.UploadTimeout,
			fmt.Sprintf("upload dropped: no data for %s", UploadIdleTimeout))
	}
	return k, err
}

// done lifts the idle deadline once the body has been read.
func (g *uploadGuard) done() { _ = g.rc.SetReadDeadline(time.Time{}) }

func errTooLarge(limit int64) *errTooLargeT { return &errTooLargeT{limit} }

type errTooLargeT struct{ limit int64 }

func (e *errTooLargeT) Error() string { return "too large" }

// apiError turns the refusal into the API's error.
func (e *errTooLargeT) apiError(what, key string) error {
	return apiErr(errcode.TooLarge,
		fmt.Sprintf("%s is over %d MiB (%s)", what, e.limit>>20, key))
}

// checkDisk refuses when writing more bytes would leave the file system
// of dir under minFreeDisk free.
func checkDisk(dir string, more int64) error {
	free, total, err := diskSpace(dir)
	if errors.Is(err, errNoStatfs) {
		return nil // this platform cannot tell; docs/security.md says so
	}
	if err != nil || total <= 0 || free < 0 {
		// Fail closed: an upload the server cannot place safely waits
		// until it can tell again (a vanished data directory, a broken
		// mount).
		why := "the file system reports no size"
		if err != nil {
			why = err.Error()
		}
		return apiErr(errcode.DiskUnknown, fmt.Sprintf(
			"the server cannot tell how much disk is free under %s (%s); uploads wait until it can", filepath.Dir(dir), why))
	}
	if float64(free-more) < minFreeDisk*float64(total) {
		return apiErr(errcode.DiskFull, fmt.Sprintf(
			"the server's disk is nearly full (%d MiB free of %d MiB; uploads must leave 5%% free): free space on %s",
			free>>20, total>>20, filepath.Dir(dir)))
	}
	return nil
}

// sniffer checks, as the first sniffLen bytes stream by, that an upload
// looks like a dataset: a Parquet file ("PAR1") or text (UTF-8, no NUL
// bytes) as CSV is. A body that is neither is refused within its first
// megabyte, before the rest is read.
type sniffer struct {
	r    io.Reader
	head []byte
	done bool
}

func (s *sniffer) Read(p []byte) (int, error) {
	k, err := s.r.Read(p)
	if !s.done && k > 0 {
		s.head = append(s.head, p[:min(k, sniffLen-len(s.head))]...)
		if len(s.head) >= sniffLen || bytes.IndexByte(s.head, 0) >= 0 {
			if e := s.verdict(false); e != nil {
				return k, e
			}
		}
	}
	if err == io.EOF && !s.done {
		if e := s.verdict(true); e != nil {
			return k, e
		}
	}
	return k, err
}

func (s *sniffer) verdict(eof bool) error {
	s.done = len(s.head) >= sniffLen || eof
	if bytes.HasPrefix(s.head, []byte("PAR1")) {
		s.done = true
		return nil
	}
	if bytes.IndexByte(s.head, 0) >= 0 {
		s.done = true
		return apiErr(errcode.NotCSV, "the upload is not a CSV file: it holds NUL bytes (binary data)")
	}
	text := s.head
	if !eof {
		// A character may be cut at the end of the sniffed part.
		for i := 0; i < utf8.UTFMax && len(text) > 0 && !utf8.Valid(text); i++ {
			text = text[:len(text)-1]
		}
	}
	if !utf8.Valid(text) {
		s.done = true
		return apiErr(errcode.InvalidUTF8, "the upload is not a UTF-8 CSV file")
	}
	return nil
}

// uploadSlots caps concurrent uploads.
type uploadSlots chan struct{}

func (s uploadSlots) take() bool {
	select {
	case s <- struct{}{}:
		return true
	default:
		return false
	}
}

func (s uploadSlots) give() { <-s }

// errBusy is the answer when every upload slot is taken.
func errBusy(w http.ResponseWriter, n int) error {
	w.Header().Set("Retry-After", "5")
	return apiErr(errcode.TooManyUploads,
		fmt.Sprintf("the server takes %d uploads at once (max_concurrent_uploads); try again shortly", n))
}

// bodyDeadline gives every request with a body bodyReadTimeout to send it
// (uploads set their own idle deadline instead). The deadline is lifted once
// the body is read, so that long answers (event streams) are not cut.
func (s *Server) bodyDeadline(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody && !isUploadPath(r) {
			rc := http.NewResponseController(w)
			_ = rc.SetReadDeadline(time.Now().Add(bodyReadTimeout))
			r.Body = &deadlineBody{ReadCloser: r.Body, rc: rc}
		}
		next.ServeHTTP(w, r)
	})
}

func isUploadPath(r *http.Request) bool {
	return r.Method == http.MethodPost && (r.URL.Path == "/api/v1/datasets" ||
		(strings.HasPrefix(r.URL.Path, "/api/v1/experiments/") && strings.HasSuffix(r.URL.Path, "/predict")))
}

type deadlineBody struct {
	io.ReadCloser
	rc   *http.ResponseController
	done bool
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	k, err := b.ReadCloser.Read(p)
	if err == io.EOF && !b.done {
		b.done = true
		_ = b.rc.SetReadDeadline(time.Time{})
	}
	return k, err
}

// removeTemp removes a temporary upload file, logging nothing: it may be
// gone already.
func removeTemp(f *os.File) {
	f.Close()
	os.Remove(f.Name())
}

// idleTimeout closes a kept-alive connection that sends no new request.
const idleTimeout = 120 * time.Second
