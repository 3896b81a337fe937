package server

import (
	"net/url"
	"time"

	"github.com/drover-ml/drover/internal/store"
)

// SetUploadIdleTimeout shortens the upload idle timeout for a test.
func SetUploadIdleTimeout(d time.Duration) (restore func()) {
	old := UploadIdleTimeout
	UploadIdleTimeout = d
	return func() { UploadIdleTimeout = old }
}

// SetDiskSpace makes the server see a file system with free of total bytes.
func SetDiskSpace(free, total int64) (restore func()) {
	old := diskSpace
	diskSpace = func(string) (int64, int64, error) { return free, total, nil }
	return func() { diskSpace = old }
}

// SetDiskSpaceFunc makes the server ask f for the free and total bytes.
func SetDiskSpaceFunc(f func(dir string) (free, total int64, err error)) (restore func()) {
	old := diskSpace
	diskSpace = f
	return func() { diskSpace = old }
}

// RoutePatterns are the patterns the router registered (set once the server serves).
func RoutePatterns(s *Server) []string { return s.routePatterns }

// ExperimentCursor is the next_cursor the experiments list would give the
// bootstrap admin after the row of that seq, newest first, with no other
// parameter (a benchmark jumps into the middle of a big list with it).
func ExperimentCursor(s *Server, seq int64) string {
	lq := listQuery{kind: "e", page: store.Page{Sort: store.SortCreated}, values: url.Values{}, key: s.cursorKey}
	return lq.encodeCursor(principal{Name: BootstrapAdmin, Admin: true}, store.Position{Seq: seq, Key: float64(seq)})
}
