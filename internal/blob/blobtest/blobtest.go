// Package blobtest is the one test suite every blob.Store backend passes.
package blobtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"sync"
	"testing"

	"github.com/drover-ml/drover/internal/blob"
)

// Run runs the suite. newStore must return an empty store each time it is
// called; it is called once per sub-test.
func Run(t *testing.T, newStore func(t *testing.T) blob.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s blob.Store)
	}{
		{"PutGet", testPutGet},
		{"UnknownSize", testUnknownSize},
		{"Empty", testEmpty},
		{"Overwrite", testOverwrite},
		{"NotFound", testNotFound},
		{"Stat", testStat},
		{"List", testList},
		{"Delete", testDelete},
		{"InvalidKeys", testInvalidKeys},
		{"ShortReader", testShortReader},
		{"FailingReader", testFailingReader},
		{"Cancelled", testCancelled},
		{"Concurrent", testConcurrent},
		{"Range", testRange},
		{"Helpers", testHelpers},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStore(t)) })
	}
}

// Bytes returns n deterministic pseudo-random bytes.
func Bytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := 0; i+8 <= n; i += 8 {
		v := r.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	for i := n - n%8; i < n; i++ {
		b[i] = byte(r.Uint32())
	}
	return b
}

func put(t *testing.T, s blob.Store, key string, data []byte) {
	t.Helper()
	if err := s.Put(t.Context(), key, bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
}

func get(t *testing.T, s blob.Store, key string) []byte {
	t.Helper()
	rc, size, err := s.Get(t.Context(), key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("Get(%q): read: %v", key, err)
	}
	if int64(len(b)) != size {
		t.Fatalf("Get(%q): size %d, read %d bytes", key, size, len(b))
	}
	return b
}

func mustNotFound(t *testing.T, s blob.Store, key string) {
	t.Helper()
	if _, err := s.Stat(t.Context(), key); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("Stat(%q) = %v, want ErrNotFound", key, err)
	}
}

func testPutGet(t *testing.T, s blob.Store) {
	data := Bytes(3<<20+17, 1)
	put(t, s, "datasets/sha256/abc", data)
	if got := get(t, s, "datasets/sha256/abc"); !bytes.Equal(got, data) {
		t.Fatal("Get returned different bytes")
	}
}

func testUnknownSize(t *testing.T, s blob.Store) {
	data := Bytes(1<<20+5, 2)
	// A reader that hides its length from the backend.
	r := io.MultiReader(bytes.NewReader(data[:100]), bytes.NewReader(data[100:]))
	if err := s.Put(t.Context(), "u/x", r, -1); err != nil {
		t.Fatalf("Put(size -1): %v", err)
	}
	if got := get(t, s, "u/x"); !bytes.Equal(got, data) {
		t.Fatal("Get returned different bytes")
	}
}

func testEmpty(t *testing.T, s blob.Store) {
	put(t, s, "empty", nil)
	if got := get(t, s, "empty"); len(got) != 0 {
		t.Fatalf("got %d bytes, want 0", len(got))
	}
	info, err := s.Stat(t.Context(), "empty")
	if err != nil || info.Size != 0 {
		t.Fatalf("Stat = %+v, %v", info, err)
	}
}

func testOverwrite(t *testing.T, s blob.Store) {
	put(t, s, "a/b", []byte("first version"))
	put(t, s, "a/b", []byte("second"))
	if got := string(get(t, s, "a/b")); got != "second" {
		t.Fatalf("got %q", got)
	}
}

func testNotFound(t *testing.T, s blob.Store) {
	ctx := t.Context()
	if _, _, err := s.Get(ctx, "no/such/key"); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("Get = %v, want ErrNotFound", err)
	}
	mustNotFound(t, s, "no/such/key")
	put(t, s, "file", []byte("x"))
	// A key "under" an object is simply missing.
	mustNotFound(t, s, "file/below")
	if _, _, err := s.Get(ctx, "file/below"); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("Get(file/below) = %v, want ErrNotFound", err)
	}
	if rr, ok := s.(blob.RangeReader); ok {
		if _, err := rr.GetRange(ctx, "no/such/key", 0, 1); !errors.Is(err, blob.ErrNotFound) {
			t.Fatalf("GetRange = %v, want ErrNotFound", err)
		}
	}
}

func testStat(t *testing.T, s blob.Store) {
	put(t, s, "artifacts/e1/attempt-1/model.json", []byte("12345"))
	info, err := s.Stat(t.Context(), "artifacts/e1/attempt-1/model.json")
	if err != nil {
		t.Fatal(err)
	}
	if info.Key != "artifacts/e1/attempt-1/model.json" || info.Size != 5 || info.ModTime.IsZero() {
		t.Fatalf("Stat = %+v", info)
	}
}

func testList(t *testing.T, s blob.Store) {
	keys := []string{
		"artifacts/e1/attempt-1/a.csv",
		"artifacts/e1/attempt-1/sub/b.bin",
		"artifacts/e1/attempt-2/a.csv",
		"artifacts/e10/attempt-1/a.csv",
		"datasets/sha256/aa01",
		"datasets/sha256/ab02",
		"top",
	}
	for i, k := range slices.Backward(keys) {
		put(t, s, k, Bytes(i+1, uint64(i)))
	}
	cases := []struct {
		prefix string
		want   []string
	}{
		{"", keys},
		{"artifacts/e1/", keys[:3]},
		{"artifacts/e1", keys[:4]},
		{"artifacts/e1/attempt-1/", keys[:2]},
		{"datasets/sha256/a", keys[4:6]},
		{"datasets/sha256/ab", keys[5:6]},
		{"datasets/sha256/ab02", keys[5:6]},
		{"nothing/", nil},
		{"to", keys[6:]},
	}
	for _, c := range cases {
		infos, err := s.List(t.Context(), c.prefix)
		if err != nil {
			t.Fatalf("List(%q): %v", c.prefix, err)
		}
		var got []string
		for i, in := range infos {
			got = append(got, in.Key)
			if in.Size <= 0 {
				t.Errorf("List(%q)[%d] size %d", c.prefix, i, in.Size)
			}
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("List(%q) = %q, want %q", c.prefix, got, c.want)
		}
	}
	if _, err := s.List(t.Context(), "../x"); !errors.Is(err, blob.ErrInvalidKey) {
		t.Errorf("List(../x) = %v, want ErrInvalidKey", err)
	}
}

func testDelete(t *testing.T, s blob.Store) {
	put(t, s, "d/1", []byte("one"))
	put(t, s, "d/2", []byte("two"))
	if err := s.Delete(t.Context(), "d/1"); err != nil {
		t.Fatal(err)
	}
	mustNotFound(t, s, "d/1")
	if got := string(get(t, s, "d/2")); got != "two" {
		t.Fatalf("d/2 = %q", got)
	}
	if err := s.Delete(t.Context(), "d/1"); err != nil {
		t.Fatalf("second Delete: %v", err)
	}
	if err := s.Delete(t.Context(), "never/was"); err != nil {
		t.Fatalf("Delete(missing): %v", err)
	}
}

func testInvalidKeys(t *testing.T, s blob.Store) {
	ctx := t.Context()
	for _, key := range []string{"", "/abs", "../up", "a/../../b", "a//b", "a/", "sp ace", ".hidden", "a/.tmp"} {
		if err := s.Put(ctx, key, bytes.NewReader(nil), 0); !errors.Is(err, blob.ErrInvalidKey) {
			t.Errorf("Put(%q) = %v, want ErrInvalidKey", key, err)
		}
		if _, _, err := s.Get(ctx, key); !errors.Is(err, blob.ErrInvalidKey) {
			t.Errorf("Get(%q) = %v, want ErrInvalidKey", key, err)
		}
		if _, err := s.Stat(ctx, key); !errors.Is(err, blob.ErrInvalidKey) {
			t.Errorf("Stat(%q) = %v, want ErrInvalidKey", key, err)
		}
		if err := s.Delete(ctx, key); !errors.Is(err, blob.ErrInvalidKey) {
			t.Errorf("Delete(%q) = %v, want ErrInvalidKey", key, err)
		}
	}
}

func testShortReader(t *testing.T, s blob.Store) {
	err := s.Put(t.Context(), "short", bytes.NewReader([]byte("abc")), 10)
	if err == nil {
		t.Fatal("Put with a reader shorter than size succeeded")
	}
	mustNotFound(t, s, "short")
}

type failingReader struct {
	n   int
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, f.err
	}
	n := min(len(p), f.n)
	clear(p[:n])
	f.n -= n
	return n, nil
}

func testFailingReader(t *testing.T, s blob.Store) {
	boom := errors.New("disk on fire")
	err := s.Put(t.Context(), "fail", &failingReader{n: 1 << 20, err: boom}, -1)
	if err == nil {
		t.Fatal("Put with a failing reader succeeded")
	}
	mustNotFound(t, s, "fail")
	// A failed overwrite leaves the old object intact.
	put(t, s, "keep", []byte("old"))
	if err := s.Put(t.Context(), "keep", &failingReader{n: 10, err: boom}, 20); err == nil {
		t.Fatal("Put with a failing reader succeeded")
	}
	if got := string(get(t, s, "keep")); got != "old" {
		t.Fatalf("after failed overwrite got %q", got)
	}
	if infos, err := s.List(t.Context(), ""); err != nil || len(infos) != 1 {
		t.Fatalf("List after failures = %+v, %v; want only keep", infos, err)
	}
}

func testCancelled(t *testing.T, s blob.Store) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := s.Put(ctx, "c", bytes.NewReader([]byte("x")), 1); err == nil {
		t.Error("Put with cancelled context succeeded")
	}
	mustNotFound(t, s, "c")
	if _, _, err := s.Get(ctx, "c"); err == nil {
		t.Error("Get with cancelled context succeeded")
	}
}

func testConcurrent(t *testing.T, s blob.Store) {
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 8 {
		wg.Go(func() {
			data := Bytes(64<<10, uint64(i))
			key := fmt.Sprintf("c/%d", i)
			if err := s.Put(t.Context(), key, bytes.NewReader(data), int64(len(data))); err != nil {
				errs <- err
			}
		})
		// Writers racing on one key: the result is one of the versions, whole.
		wg.Go(func() {
			data := bytes.Repeat([]byte{byte('a' + i)}, 32<<10)
			if err := s.Put(t.Context(), "c/same", bytes.NewReader(data), int64(len(data))); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for i := range 8 {
		if got := get(t, s, fmt.Sprintf("c/%d", i)); !bytes.Equal(got, Bytes(64<<10, uint64(i))) {
			t.Fatalf("c/%d differs", i)
		}
	}
	same := get(t, s, "c/same")
	if len(same) != 32<<10 || !bytes.Equal(same, bytes.Repeat(same[:1], len(same))) {
		t.Fatal("c/same is a mix of versions")
	}
}

func testRange(t *testing.T, s blob.Store) {
	rr, ok := s.(blob.RangeReader)
	if !ok {
		t.Skip("store has no GetRange")
	}
	data := Bytes(1<<20, 7)
	put(t, s, "r", data)
	for _, c := range []struct{ off, n int64 }{{0, 1}, {0, 1 << 20}, {12345, 100000}, {1<<20 - 1, 1}, {500, 0}} {
		rc, err := rr.GetRange(t.Context(), "r", c.off, c.n)
		if err != nil {
			t.Fatalf("GetRange(%d, %d): %v", c.off, c.n, err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("GetRange(%d, %d): read: %v", c.off, c.n, err)
		}
		if !bytes.Equal(got, data[c.off:c.off+c.n]) {
			t.Fatalf("GetRange(%d, %d): %d bytes, wrong content", c.off, c.n, len(got))
		}
	}
}

func testHelpers(t *testing.T, s blob.Store) {
	path := t.TempDir() + "/d.csv"
	data := Bytes(200<<10, 9)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	sum, size, err := blob.PutDataset(t.Context(), s, path)
	if err != nil {
		t.Fatal(err)
	}
	if size != int64(len(data)) || !blob.ValidSHA256(sum) {
		t.Fatalf("PutDataset = %s, %d", sum, size)
	}
	if got := get(t, s, blob.DatasetKey(sum)); !bytes.Equal(got, data) {
		t.Fatal("dataset content differs")
	}
	// Second upload of the same content is a no-op that still succeeds.
	if sum2, _, err := blob.PutDataset(t.Context(), s, path); err != nil || sum2 != sum {
		t.Fatalf("second PutDataset = %s, %v", sum2, err)
	}
}
