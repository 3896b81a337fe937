package blob_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drover-ml/drover/internal/blob"
	"github.com/drover-ml/drover/internal/blob/blobtest"
	"github.com/drover-ml/drover/internal/blob/local"
)

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func newLocal(t *testing.T) *local.Store {
	t.Helper()
	s, err := local.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func putBytes(t *testing.T, s blob.Store, key string, data []byte) {
	t.Helper()
	if err := s.Put(t.Context(), key, bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatal(err)
	}
}

// dirEntries lists the names in dir, hidden ones included.
func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

var fastRetry = blob.FetchOptions{Parallel: 3, PartSize: 64 << 10, Retries: 3, RetryDelay: time.Millisecond}

func TestFetchMultipart(t *testing.T) {
	s := newLocal(t)
	data := blobtest.Bytes(1<<20+12345, 3)
	putBytes(t, s, "obj", data)
	for _, opts := range []blob.FetchOptions{
		fastRetry,
		{Parallel: 1, PartSize: 1 << 20, Sync: true},
		{Parallel: 8, PartSize: 4096},
		{PartSize: 10 << 20}, // one part
	} {
		dest := filepath.Join(t.TempDir(), "out.csv")
		tr, err := blob.Fetch(t.Context(), s, "obj", sha(data), dest, opts)
		if err != nil {
			t.Fatalf("Fetch(%+v): %v", opts, err)
		}
		got, _ := os.ReadFile(dest)
		if !bytes.Equal(got, data) {
			t.Fatalf("Fetch(%+v): content differs", opts)
		}
		wantParts := int((int64(len(data)) + opts.PartSize - 1) / opts.PartSize)
		if tr.Size != int64(len(data)) || tr.Bytes != tr.Size || tr.SHA256 != sha(data) || tr.Parts != wantParts || tr.Retries != 0 {
			t.Fatalf("Fetch(%+v) = %+v, want %d parts", opts, tr, wantParts)
		}
		if names := dirEntries(t, filepath.Dir(dest)); len(names) != 1 {
			t.Fatalf("dest dir holds %q", names)
		}
	}
}

func TestFetchEmpty(t *testing.T) {
	s := newLocal(t)
	putBytes(t, s, "empty", nil)
	dest := filepath.Join(t.TempDir(), "e")
	if _, err := blob.Fetch(t.Context(), s, "empty", sha(nil), dest, fastRetry); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(dest); err != nil || st.Size() != 0 {
		t.Fatalf("stat = %v, %v", st, err)
	}
}

func TestFetchChecksumMismatch(t *testing.T) {
	s := newLocal(t)
	data := blobtest.Bytes(300<<10, 4)
	putBytes(t, s, "obj", data)
	dir := t.TempDir()
	dest := filepath.Join(dir, "out")
	_, err := blob.Fetch(t.Context(), s, "obj", sha([]byte("something else")), dest, fastRetry)
	if !errors.Is(err, blob.ErrChecksum) || !errors.Is(err, blob.ErrTransfer) {
		t.Fatalf("Fetch = %v, want ErrChecksum and ErrTransfer", err)
	}
	if names := dirEntries(t, dir); len(names) != 0 {
		t.Fatalf("left behind: %q", names)
	}
	// An existing file at destPath survives a failed fetch.
	os.WriteFile(dest, []byte("old"), 0o644)
	if _, err := blob.Fetch(t.Context(), s, "obj", sha(nil), dest, fastRetry); err == nil {
		t.Fatal("Fetch succeeded")
	}
	if got, _ := os.ReadFile(dest); string(got) != "old" {
		t.Fatalf("dest now holds %q", got)
	}
}

func TestFetchNotFound(t *testing.T) {
	dir := t.TempDir()
	_, err := blob.Fetch(t.Context(), newLocal(t), "nope", "", filepath.Join(dir, "x"), fastRetry)
	if !errors.Is(err, blob.ErrNotFound) || !errors.Is(err, blob.ErrTransfer) {
		t.Fatalf("Fetch = %v", err)
	}
	if names := dirEntries(t, dir); len(names) != 0 {
		t.Fatalf("left behind: %q", names)
	}
}

func TestFetchInvalid(t *testing.T) {
	s := newLocal(t)
	if _, err := blob.Fetch(t.Context(), s, "../x", "", t.TempDir()+"/x", fastRetry); !errors.Is(err, blob.ErrInvalidKey) || errors.Is(err, blob.ErrTransfer) {
		t.Fatalf("Fetch(../x) = %v", err)
	}
	if _, err := blob.Fetch(t.Context(), s, "x", "ABC", t.TempDir()+"/x", fastRetry); err == nil || errors.Is(err, blob.ErrTransfer) {
		t.Fatalf("Fetch(bad sha) = %v", err)
	}
}

// flaky fails ranged reads: the first failures reads each break after cut
// bytes, with an error.
type flaky struct {
	blob.Store
	rr       blob.RangeReader
	failures atomic.Int64
	cut      int64
	calls    atomic.Int64
}

func (f *flaky) GetRange(ctx context.Context, key string, off, n int64) (io.ReadCloser, error) {
	f.calls.Add(1)
	rc, err := f.rr.GetRange(ctx, key, off, n)
	if err != nil {
		return nil, err
	}
	if f.failures.Add(-1) >= 0 {
		return struct {
			io.Reader
			io.Closer
		}{io.MultiReader(io.LimitReader(rc, f.cut), errReader{}), rc}, nil
	}
	return rc, nil
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset by peer") }

func TestFetchRetriesAndResumes(t *testing.T) {
	s := newLocal(t)
	data := blobtest.Bytes(1<<20, 5)
	putBytes(t, s, "obj", data)
	f := &flaky{Store: s, rr: s, cut: 1000}
	f.failures.Store(5)
	dest := filepath.Join(t.TempDir(), "out")
	opts := fastRetry
	opts.Retries = 10
	tr, err := blob.Fetch(t.Context(), f, "obj", sha(data), dest, opts)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Retries != 5 || tr.Bytes != int64(len(data)) {
		t.Fatalf("Transfer = %+v, want 5 retries and no byte read twice", tr)
	}
	if got, _ := os.ReadFile(dest); !bytes.Equal(got, data) {
		t.Fatal("content differs")
	}
}

func TestFetchGivesUp(t *testing.T) {
	s := newLocal(t)
	data := blobtest.Bytes(1<<20, 6)
	putBytes(t, s, "obj", data)
	f := &flaky{Store: s, rr: s, cut: 0}
	f.failures.Store(1 << 40)
	dir := t.TempDir()
	tr, err := blob.Fetch(t.Context(), f, "obj", sha(data), filepath.Join(dir, "out"), fastRetry)
	if !errors.Is(err, blob.ErrTransfer) {
		t.Fatalf("Fetch = %v, want ErrTransfer", err)
	}
	if tr.Retries < fastRetry.Retries {
		t.Fatalf("retries = %d", tr.Retries)
	}
	if names := dirEntries(t, dir); len(names) != 0 {
		t.Fatalf("left behind: %q", names)
	}
	t.Log(err)
}

func TestFetchCancelled(t *testing.T) {
	s := newLocal(t)
	data := blobtest.Bytes(1<<20, 6)
	putBytes(t, s, "obj", data)
	f := &flaky{Store: s, rr: s, cut: 0}
	f.failures.Store(1 << 40)
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(20*time.Millisecond, cancel)
	dir := t.TempDir()
	opts := fastRetry
	opts.Retries, opts.RetryDelay = 1000, 5*time.Millisecond
	_, err := blob.Fetch(ctx, f, "obj", "", filepath.Join(dir, "out"), opts)
	if !errors.Is(err, context.Canceled) || errors.Is(err, blob.ErrTransfer) {
		t.Fatalf("Fetch = %v, want context.Canceled only", err)
	}
	if names := dirEntries(t, dir); len(names) != 0 {
		t.Fatalf("left behind: %q", names)
	}
}

// plain hides GetRange, so Fetch streams.
type plain struct{ blob.Store }

func TestFetchStream(t *testing.T) {
	s := newLocal(t)
	data := blobtest.Bytes(700<<10, 8)
	putBytes(t, s, "obj", data)
	dest := filepath.Join(t.TempDir(), "out")
	tr, err := blob.Fetch(t.Context(), plain{s}, "obj", sha(data), dest, fastRetry)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(dest); !bytes.Equal(got, data) || tr.Parts != 1 || tr.Bytes != int64(len(data)) {
		t.Fatalf("stream fetch wrong: %+v", tr)
	}
	if _, err := blob.Fetch(t.Context(), plain{s}, "obj", sha(nil), dest+"2", fastRetry); !errors.Is(err, blob.ErrChecksum) {
		t.Fatalf("Fetch = %v, want ErrChecksum", err)
	}
}
