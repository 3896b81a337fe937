package cache_test

import (
	"bytes"
	"errors"
	"os"
	"sync/atomic"
	"testing"

	"github.com/drover-ml/drover/internal/blob"
	"github.com/drover-ml/drover/internal/blob/blobtest"
	"github.com/drover-ml/drover/internal/blob/s3"
	"github.com/drover-ml/drover/internal/cache"
	"github.com/drover-ml/drover/internal/testutil"
)

// TestWithMinIO runs the worker's path: cache miss → blob.Fetch from MinIO,
// then a hit that moves nothing, and a corrupt object that never enters.
func TestWithMinIO(t *testing.T) {
	m := testutil.StartMinIO(t)
	s, err := s3.New(s3.Config{Endpoint: m.Endpoint(), AccessKey: m.AccessKey(), SecretKey: m.SecretKey(), Bucket: m.NewBucket(t)})
	if err != nil {
		t.Fatal(err)
	}
	data := blobtest.Bytes(3<<20+5, 21)
	good := sum(data)
	if err := s.Put(t.Context(), blob.DatasetKey(good), bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatal(err)
	}
	// An object stored under the key of other content.
	bad := sum([]byte("the real content"))
	if err := s.Put(t.Context(), blob.DatasetKey(bad), bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatal(err)
	}
	var moved atomic.Int64
	fetch := cache.BlobFetcher(s, blob.FetchOptions{PartSize: 1 << 20}, func(tr blob.Transfer, err error) { moved.Add(tr.Bytes) })
	c, err := cache.New(t.TempDir(), cache.Options{MaxBytes: 64 << 20, Fetch: fetch})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	p, hit, err := c.Get(t.Context(), good, nil)
	if err != nil || hit {
		t.Fatalf("Get = %v, hit %v", err, hit)
	}
	if got, _ := os.ReadFile(p); !bytes.Equal(got, data) {
		t.Fatal("content differs")
	}
	c.Release(good)
	if moved.Load() != int64(len(data)) {
		t.Fatalf("moved %d bytes", moved.Load())
	}
	if _, hit, err := c.Get(t.Context(), good, nil); err != nil || !hit {
		t.Fatalf("second Get = %v, hit %v", err, hit)
	}
	c.Release(good)
	if moved.Load() != int64(len(data)) || c.Stats().BytesFetched != int64(len(data)) {
		t.Fatalf("warm Get moved bytes: %d, stats %+v", moved.Load(), c.Stats())
	}

	_, _, err = c.Get(t.Context(), bad, nil)
	if !errors.Is(err, blob.ErrChecksum) || !errors.Is(err, blob.ErrTransfer) {
		t.Fatalf("Get(corrupt) = %v", err)
	}
	if n := len(files(t, c.Dir())); n != 1 {
		t.Fatalf("%d files in cache dir, want only the good one", n)
	}
	if s := c.Stats(); s.Entries != 1 {
		t.Fatalf("stats = %+v", s)
	}
}
