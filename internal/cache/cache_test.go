package cache_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drover-ml/drover/internal/blob"
	"github.com/drover-ml/drover/internal/cache"
)

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// source is an in-memory dataset origin that counts downloads.
type source struct {
	mu    sync.Mutex
	data  map[string][]byte
	calls atomic.Int64
	gate  chan struct{} // when set, downloads wait for it
}

func newSource(datasets ...[]byte) *source {
	s := &source{data: map[string][]byte{}}
	for _, d := range datasets {
		s.data[sum(d)] = d
	}
	return s
}

func (s *source) fetch(ctx context.Context, sha, dest string) (string, error) {
	s.calls.Add(1)
	if s.gate != nil {
		select {
		case <-s.gate:
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	s.mu.Lock()
	d, ok := s.data[sha]
	s.mu.Unlock()
	if !ok {
		return "", blob.ErrNotFound
	}
	return "", os.WriteFile(dest, d, 0o644) // "": let the cache hash it
}

func dataset(n int, b byte) []byte { return bytes.Repeat([]byte{b}, n) }

func open(t *testing.T, dir string, max int64, src *source) *cache.Cache {
	t.Helper()
	c, err := cache.New(dir, cache.Options{MaxBytes: max, Fetch: src.fetch})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func files(t *testing.T, dir string) []string {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

func get(t *testing.T, c *cache.Cache, sha string) (string, bool) {
	t.Helper()
	p, hit, err := c.Get(t.Context(), sha, nil)
	if err != nil {
		t.Fatalf("Get(%s): %v", sha[:8], err)
	}
	return p, hit
}

func TestMissThenHit(t *testing.T) {
	d := dataset(1000, 'a')
	src := newSource(d)
	c := open(t, t.TempDir(), 1<<20, src)
	p, hit := get(t, c, sum(d))
	if hit {
		t.Fatal("first Get was a hit")
	}
	if got, _ := os.ReadFile(p); !bytes.Equal(got, d) {
		t.Fatal("content differs")
	}
	c.Release(sum(d))
	before := c.Stats()
	p2, hit := get(t, c, sum(d))
	c.Release(sum(d))
	after := c.Stats()
	if !hit || p2 != p || src.calls.Load() != 1 {
		t.Fatalf("second Get: hit=%v path=%s calls=%d", hit, p2, src.calls.Load())
	}
	if after.BytesFetched != before.BytesFetched || after.BytesFetched != 1000 {
		t.Fatalf("a hit moved bytes: %+v -> %+v", before, after)
	}
	if after.Hits != 1 || after.Misses != 1 || after.Entries != 1 || after.Bytes != 1000 || after.InUse != 0 {
		t.Fatalf("stats = %+v", after)
	}
}

func TestSingleFlight(t *testing.T) {
	d := dataset(5000, 'b')
	src := newSource(d)
	src.gate = make(chan struct{})
	c := open(t, t.TempDir(), 1<<20, src)
	var wg sync.WaitGroup
	paths := make([]string, 10)
	for i := range paths {
		wg.Go(func() {
			p, _, err := c.Get(t.Context(), sum(d), nil)
			if err != nil {
				t.Error(err)
			}
			paths[i] = p
		})
	}
	for c.Stats().Shared+c.Stats().Misses < 10 {
		time.Sleep(time.Millisecond)
	}
	close(src.gate)
	wg.Wait()
	if n := src.calls.Load(); n != 1 {
		t.Fatalf("%d downloads, want 1", n)
	}
	for _, p := range paths[1:] {
		if p != paths[0] {
			t.Fatal("different paths")
		}
	}
	if s := c.Stats(); s.InUse != 1 || s.Misses != 1 || s.Shared != 9 {
		t.Fatalf("stats = %+v", s)
	}
	for range paths {
		c.Release(sum(d))
	}
	if s := c.Stats(); s.InUse != 0 {
		t.Fatalf("stats after release = %+v", s)
	}
}

func TestWaitersGiveUp(t *testing.T) {
	d := dataset(100, 'c')
	src := newSource(d)
	src.gate = make(chan struct{})
	c := open(t, t.TempDir(), 1<<20, src)
	ctx1, cancel1 := context.WithCancel(t.Context())
	errs := make(chan error, 2)
	go func() { _, _, err := c.Get(ctx1, sum(d), nil); errs <- err }()
	go func() { _, _, err := c.Get(t.Context(), sum(d), nil); errs <- err }()
	for c.Stats().Shared+c.Stats().Misses < 2 {
		time.Sleep(time.Millisecond)
	}
	cancel1()
	if err := <-errs; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Get = %v", err)
	}
	close(src.gate) // the other caller still gets the file
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	if s := c.Stats(); s.InUse != 1 {
		t.Fatalf("InUse = %d, want 1 (the caller that stayed)", s.InUse)
	}

	// When every caller gives up, the download is cancelled.
	d2 := dataset(100, 'd')
	src.data[sum(d2)] = d2
	src.gate = make(chan struct{})
	ctx2, cancel2 := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel2()
	if _, _, err := c.Get(ctx2, sum(d2), nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Get = %v", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(files(t, c.Dir())) != 1 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if f := files(t, c.Dir()); len(f) != 1 {
		t.Fatalf("files = %q", f)
	}
}

func TestEvictionLRU(t *testing.T) {
	ds := [][]byte{dataset(1000, '1'), dataset(1000, '2'), dataset(1000, '3'), dataset(1000, '4')}
	src := newSource(ds...)
	c := open(t, t.TempDir(), 3000, src)
	for _, d := range ds[:3] {
		get(t, c, sum(d))
		c.Release(sum(d))
	}
	// Touch the oldest: now 2 is the least recently used.
	get(t, c, sum(ds[0]))
	c.Release(sum(ds[0]))
	get(t, c, sum(ds[3]))
	c.Release(sum(ds[3]))
	if _, ok := c.Acquire(sum(ds[1])); ok {
		t.Fatal("least recently used file survived")
	}
	for _, i := range []int{0, 2, 3} {
		if _, ok := c.Acquire(sum(ds[i])); !ok {
			t.Fatalf("dataset %d evicted", i)
		}
		c.Release(sum(ds[i]))
	}
	if s := c.Stats(); s.Bytes != 3000 || s.Entries != 3 || s.Evictions != 1 {
		t.Fatalf("stats = %+v", s)
	}
	if n := len(files(t, c.Dir())); n != 3 {
		t.Fatalf("%d files on disk", n)
	}
}

func TestEvictionSparesFilesInUse(t *testing.T) {
	ds := [][]byte{dataset(2000, 'a'), dataset(2000, 'b'), dataset(2000, 'c')}
	src := newSource(ds...)
	c := open(t, t.TempDir(), 3000, src)
	pa, _ := get(t, c, sum(ds[0])) // held
	pb, _ := get(t, c, sum(ds[1])) // held
	if s := c.Stats(); s.Bytes != 4000 || s.Evictions != 0 {
		t.Fatalf("stats = %+v (in-use files must stay even over the cap)", s)
	}
	c.Release(sum(ds[1]))
	if _, err := os.Stat(pb); err == nil {
		t.Fatal("released file over the cap not evicted")
	}
	get(t, c, sum(ds[2]))
	if _, err := os.Stat(pa); err != nil {
		t.Fatalf("file in use evicted: %v", err)
	}
	c.Release(sum(ds[0]))
	c.Release(sum(ds[2]))
	if s := c.Stats(); s.Bytes > 3000 {
		t.Fatalf("over the cap after release: %+v", s)
	}
}

func TestChecksumMismatch(t *testing.T) {
	d := dataset(100, 'x')
	src := newSource()
	src.data[sum(d)] = []byte("not what the name says")
	c := open(t, t.TempDir(), 1<<20, src)
	_, _, err := c.Get(t.Context(), sum(d), nil)
	if !errors.Is(err, blob.ErrChecksum) || !errors.Is(err, blob.ErrTransfer) {
		t.Fatalf("Get = %v, want ErrChecksum", err)
	}
	if f := files(t, c.Dir()); len(f) != 0 {
		t.Fatalf("files = %q", f)
	}
	if s := c.Stats(); s.Entries != 0 || s.BytesFetched != 0 {
		t.Fatalf("stats = %+v", s)
	}
	// A fetcher that claims a sum that is not the wanted one is refused too.
	lie := func(ctx context.Context, sha, dest string) (string, error) {
		return sum([]byte("other")), os.WriteFile(dest, d, 0o644)
	}
	if _, _, err := c.Get(t.Context(), sum(d), lie); !errors.Is(err, blob.ErrChecksum) {
		t.Fatalf("Get = %v", err)
	}
}

func TestRestart(t *testing.T) {
	dir := t.TempDir()
	ds := [][]byte{dataset(100, 'a'), dataset(200, 'b'), dataset(300, 'c')}
	src := newSource(ds...)
	c := open(t, dir, 1<<20, src)
	for _, d := range ds {
		get(t, c, sum(d))
		c.Release(sum(d))
	}
	c.Close()
	// Debris of a crash, and a file someone truncated.
	os.WriteFile(filepath.Join(dir, ".fetch-"+sum(ds[0])), []byte("partial"), 0o644)
	os.WriteFile(filepath.Join(dir, ".x.part-123"), []byte("partial"), 0o644)
	os.WriteFile(filepath.Join(dir, "garbage"), []byte("?"), 0o644)
	os.Truncate(filepath.Join(dir, fmt.Sprintf("%s-%d", sum(ds[2]), 300)), 10)

	c2 := open(t, dir, 1<<20, src)
	want := []string{fmt.Sprintf("%s-100", sum(ds[0])), fmt.Sprintf("%s-200", sum(ds[1]))}
	sort.Strings(want)
	if got := files(t, dir); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("files after restart = %q, want %q", got, want)
	}
	calls := src.calls.Load()
	if _, hit := get(t, c2, sum(ds[1])); !hit || src.calls.Load() != calls {
		t.Fatal("file kept across restart was not a hit")
	}
	if _, hit := get(t, c2, sum(ds[2])); hit {
		t.Fatal("truncated file served")
	}

	// Restart with a smaller cap evicts the oldest.
	c2.Release(sum(ds[1]))
	c2.Release(sum(ds[2]))
	c2.Close()
	c3 := open(t, dir, 500, src)
	if s := c3.Stats(); s.Bytes > 500 {
		t.Fatalf("stats = %+v", s)
	}
}

func TestSizeCheckOnHit(t *testing.T) {
	d := dataset(1000, 'q')
	src := newSource(d)
	c := open(t, t.TempDir(), 1<<20, src)
	p, _ := get(t, c, sum(d))
	c.Release(sum(d))
	os.Truncate(p, 3)
	p2, hit := get(t, c, sum(d))
	if hit || src.calls.Load() != 2 {
		t.Fatalf("damaged file served as a hit")
	}
	if got, _ := os.ReadFile(p2); !bytes.Equal(got, d) {
		t.Fatal("content differs")
	}
}

func TestPrefetch(t *testing.T) {
	d := dataset(4096, 'p')
	src := newSource(d)
	c := open(t, t.TempDir(), 1<<20, src)
	c.Prefetch(sum(d))
	deadline := time.Now().Add(5 * time.Second)
	// Done when the file is in and the prefetch has let go of it (it holds
	// it between admission and its own Release).
	for s := c.Stats(); (s.Entries == 0 || s.InUse != 0) && time.Now().Before(deadline); s = c.Stats() {
		time.Sleep(time.Millisecond)
	}
	if _, hit := get(t, c, sum(d)); !hit {
		t.Fatal("Get after Prefetch was not a hit")
	}
	c.Release(sum(d))
	c.Prefetch(sum(d)) // present: nothing to do
	if s := c.Stats(); s.InUse != 0 || src.calls.Load() != 1 {
		t.Fatalf("stats = %+v, calls = %d", s, src.calls.Load())
	}
}

func TestInvalid(t *testing.T) {
	c := open(t, t.TempDir(), 1, newSource())
	if _, _, err := c.Get(t.Context(), "../../etc/passwd", nil); err == nil {
		t.Fatal("Get accepted a bad sha")
	}
	if _, err := cache.New(t.TempDir(), cache.Options{MaxBytes: -1}); err == nil {
		t.Fatal("New accepted MaxBytes -1")
	}
	if _, _, err := c.Get(t.Context(), sum([]byte("none")), nil); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("Get(unknown) = %v", err)
	}
}

func TestCrashReverifies(t *testing.T) {
	dir := t.TempDir()
	ds := [][]byte{dataset(100, 'a'), dataset(200, 'b')}
	src := newSource(ds...)
	c, err := cache.New(dir, cache.Options{MaxBytes: 1 << 20, Fetch: src.fetch})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		get(t, c, sum(d))
		c.Release(sum(d))
	}
	// No Close: the process "crashed". A file kept its size but lost its bytes.
	bad := filepath.Join(dir, fmt.Sprintf("%s-200", sum(ds[1])))
	os.WriteFile(bad, make([]byte, 200), 0o644)
	c2 := open(t, dir, 1<<20, src)
	if _, err := os.Stat(bad); err == nil {
		t.Fatal("corrupt file kept after an unclean shutdown")
	}
	if _, hit := get(t, c2, sum(ds[0])); !hit {
		t.Fatal("sound file dropped")
	}
	c2.Release(sum(ds[0]))
	c2.Close()
	if _, err := os.Stat(filepath.Join(dir, ".clean")); err != nil {
		t.Fatal("no clean marker after Close")
	}
	c.Close()
}

func TestZeroSizeKeepsOnlyFilesInUse(t *testing.T) {
	d := dataset(100, 'z')
	src := newSource(d)
	c := open(t, t.TempDir(), 0, src)
	p, _ := get(t, c, sum(d))
	if _, err := os.Stat(p); err != nil {
		t.Fatal("file in use evicted")
	}
	c.Release(sum(d))
	if _, err := os.Stat(p); err == nil {
		t.Fatal("file kept after release with MaxBytes 0")
	}
}

// The last caller to give up returns only once the download has stopped and
// its partial file is gone; a Get right after starts a new download rather
// than joining the one being stopped.
func TestLastWaiterGivesUpCleanly(t *testing.T) {
	d := dataset(1000, 'p')
	var stall atomic.Bool
	stall.Store(true)
	partial := make(chan struct{}, 1)
	fetch := func(ctx context.Context, sha, dest string) (string, error) {
		if !stall.Load() {
			return "", os.WriteFile(dest, d, 0o644)
		}
		if err := os.WriteFile(dest, d[:100], 0o644); err != nil { // a partial file on disk
			return "", err
		}
		partial <- struct{}{}
		<-ctx.Done() // stalls until every caller gave up
		return "", ctx.Err()
	}
	dir := t.TempDir()
	c, err := cache.New(dir, cache.Options{MaxBytes: 1 << 20, Fetch: fetch})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	ctx, cancel := context.WithCancel(t.Context())
	errs := make(chan error, 1)
	go func() { _, _, err := c.Get(ctx, sum(d), nil); errs <- err }()
	<-partial
	if f := files(t, dir); len(f) != 1 {
		t.Fatalf("during the download: files %q, want the partial one", f)
	}
	cancel()
	if err := <-errs; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Get = %v", err)
	}
	if f := files(t, dir); len(f) != 0 {
		t.Fatalf("after the last caller gave up: files %q, want none", f)
	}
	stall.Store(false)
	p, hit := get(t, c, sum(d))
	if hit {
		t.Fatal("hit after a cancelled download")
	}
	if b, err := os.ReadFile(p); err != nil || !bytes.Equal(b, d) {
		t.Fatalf("file after the new download: %v (%d bytes)", err, len(b))
	}
	c.Release(sum(d))
}
