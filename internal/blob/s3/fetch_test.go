package s3_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drover-ml/drover/internal/blob"
	"github.com/drover-ml/drover/internal/blob/blobtest"
	"github.com/drover-ml/drover/internal/blob/s3"
	"github.com/drover-ml/drover/internal/testutil"
)

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func upload(t *testing.T, s blob.Store, data []byte) string {
	t.Helper()
	key := blob.DatasetKey(sum(data))
	if err := s.Put(t.Context(), key, bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatal(err)
	}
	return key
}

func TestFetchMultipart(t *testing.T) {
	m := testutil.StartMinIO(t)
	s := newStore(t, m, m.NewBucket(t))
	data := blobtest.Bytes(5<<20+777, 11)
	key := upload(t, s, data)
	dest := filepath.Join(t.TempDir(), "d.csv")
	tr, err := blob.Fetch(t.Context(), s, key, sum(data), dest, blob.FetchOptions{Parallel: 4, PartSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(dest); !bytes.Equal(got, data) {
		t.Fatal("content differs")
	}
	if tr.Parts != 6 || tr.Bytes != int64(len(data)) {
		t.Fatalf("Transfer = %+v", tr)
	}
	// Wrong checksum: error, nothing written.
	dir := t.TempDir()
	_, err = blob.Fetch(t.Context(), s, key, sum([]byte("x")), filepath.Join(dir, "d"), blob.FetchOptions{PartSize: 1 << 20})
	if !errors.Is(err, blob.ErrChecksum) {
		t.Fatalf("Fetch = %v, want ErrChecksum", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("left behind %v", ents)
	}
}

// hooked runs hook before the n-th ranged read.
type hooked struct {
	*s3.Store
	n     int64
	calls atomic.Int64
	hook  func()
	once  sync.Once
}

func (h *hooked) GetRange(ctx context.Context, key string, off, n int64) (io.ReadCloser, error) {
	if h.calls.Add(1) == h.n {
		h.once.Do(h.hook)
	}
	return h.Store.GetRange(ctx, key, off, n)
}

func TestFetchMinIOStoppedMidTransfer(t *testing.T) {
	m := testutil.StartMinIO(t)
	s := newStoreRetries(t, m, m.NewBucket(t), 1)
	data := blobtest.Bytes(8<<20, 12)
	key := upload(t, s, data)
	opts := blob.FetchOptions{Parallel: 2, PartSize: 1 << 20, Retries: 3, RetryDelay: 50 * time.Millisecond}

	t.Run("StaysDown", func(t *testing.T) {
		h := &hooked{Store: s, n: 3, hook: m.Kill}
		dir := t.TempDir()
		start := time.Now()
		tr, err := blob.Fetch(t.Context(), h, key, sum(data), filepath.Join(dir, "d"), opts)
		if !errors.Is(err, blob.ErrTransfer) {
			t.Fatalf("Fetch = %v, want ErrTransfer", err)
		}
		if tr.Retries < opts.Retries {
			t.Errorf("retries = %d, want at least %d", tr.Retries, opts.Retries)
		}
		if ents, _ := os.ReadDir(dir); len(ents) != 0 {
			t.Fatalf("left behind %v", ents)
		}
		t.Logf("failed after %s, %d retries: %v", time.Since(start).Round(time.Millisecond), tr.Retries, err)
		m.Start()
	})

	t.Run("ComesBack", func(t *testing.T) {
		h := &hooked{Store: s, n: 3, hook: func() {
			m.Kill()
			time.AfterFunc(200*time.Millisecond, m.Start)
		}}
		opts := opts
		opts.Retries, opts.RetryDelay = 8, 200*time.Millisecond
		dest := filepath.Join(t.TempDir(), "d")
		tr, err := blob.Fetch(t.Context(), h, key, sum(data), dest, opts)
		if err != nil {
			t.Fatalf("Fetch = %v (minio log: %s)", err, m.Log())
		}
		if got, _ := os.ReadFile(dest); !bytes.Equal(got, data) {
			t.Fatal("content differs")
		}
		if tr.Retries == 0 {
			t.Error("no retry counted")
		}
		t.Logf("%+v", tr)
	})
}

func newStoreRetries(t *testing.T, m *testutil.MinIO, bucket string, retries int) *s3.Store {
	t.Helper()
	s, err := s3.New(s3.Config{Endpoint: m.Endpoint(), AccessKey: m.AccessKey(), SecretKey: m.SecretKey(), Bucket: bucket, MaxRetries: retries})
	if err != nil {
		t.Fatal(err)
	}
	return s
}
