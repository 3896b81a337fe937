package s3_test

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/drover-ml/drover/internal/blob"
	"github.com/drover-ml/drover/internal/cache"
	"github.com/drover-ml/drover/internal/testutil"
)

var quiet = slog.New(slog.DiscardHandler)

// benchSize is 64 MiB, or 1 GiB with DROVER_BENCH_LARGE=1.
func benchSize() int64 {
	if os.Getenv("DROVER_BENCH_LARGE") == "1" {
		return 1 << 30
	}
	return 64 << 20
}

// writeRandomFile writes size pseudo-random bytes to path and returns their SHA-256.
func writeRandomFile(b *testing.B, path string, size int64) string {
	b.Helper()
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	w := bufio.NewWriterSize(io.MultiWriter(f, h), 1<<20)
	if _, err := io.CopyN(w, rand.NewChaCha8([32]byte{1, 2, 3}), size); err != nil {
		b.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// memPeak samples the Go heap and resets/reads the kernel's peak RSS.
type memPeak struct {
	cpu0    time.Duration
	stop    chan struct{}
	done    sync.WaitGroup
	maxHeap atomic.Uint64
}

func startMemPeak() *memPeak {
	// "5" resets VmHWM (peak RSS) of this process (Linux >= 4.0).
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	runtime.GC()
	m := &memPeak{stop: make(chan struct{}), cpu0: cpuTime()}
	m.done.Go(func() {
		var ms runtime.MemStats
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > m.maxHeap.Load() {
				m.maxHeap.Store(ms.HeapInuse)
			}
			select {
			case <-m.stop:
				return
			case <-t.C:
			}
		}
	})
	return m
}

// end returns the peak Go heap in use and the peak RSS, in MiB.
func (m *memPeak) end() (heapMiB, rssMiB float64) {
	close(m.stop)
	m.done.Wait()
	return float64(m.maxHeap.Load()) / (1 << 20), float64(vmHWM()) / (1 << 20)
}

// cpuTime is the user+system CPU time this process used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func vmHWM() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// BenchmarkTransfer measures, against a real local MinIO, a plain minio-go
// GetObject → io.Copy to a file (without and with SHA-256), blob.Fetch of the
// same object (without and with fsync), a cold cache Get (the worker's path:
// Fetch, verify, admit) and a warm-cache Get. Each reports MB/s, peak Go heap and
// peak RSS during the transfer, and the bytes moved.
//
//	go test -run '^$' -bench Transfer -benchtime 3x ./internal/blob/s3/
//	DROVER_BENCH_LARGE=1 go test -run '^$' -bench Transfer -benchtime 3x -timeout 30m ./internal/blob/s3/
func BenchmarkTransfer(b *testing.B) {
	m := testutil.StartMinIO(b)
	s := newStoreB(b, m, m.NewBucket(b))
	size := benchSize()
	dir := b.TempDir()
	src := filepath.Join(dir, "src")
	sha := writeRandomFile(b, src, size)
	key := blob.DatasetKey(sha)
	if err := blob.PutFile(b.Context(), s, key, src); err != nil {
		b.Fatal(err)
	}
	os.Remove(src)
	dest := filepath.Join(dir, "dest")

	report := func(b *testing.B, mp *memPeak, moved int64) {
		cpu := cpuTime() - mp.cpu0
		heap, rss := mp.end()
		b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "client-cpu-ms/op")
		b.ReportMetric(heap, "peak-heap-MiB")
		b.ReportMetric(rss, "peak-RSS-MiB")
		b.ReportMetric(float64(moved)/float64(b.N), "bytes-moved/op")
	}

	b.Run("PlainGet", func(b *testing.B) {
		b.SetBytes(size)
		mp := startMemPeak()
		var moved int64
		for b.Loop() {
			obj, err := s.Client().GetObject(b.Context(), s.Bucket(), key, minio.GetObjectOptions{})
			if err != nil {
				b.Fatal(err)
			}
			f, err := os.Create(dest)
			if err != nil {
				b.Fatal(err)
			}
			n, err := io.Copy(f, obj)
			obj.Close()
			f.Close()
			if err != nil || n != size {
				b.Fatalf("copied %d: %v", n, err)
			}
			moved += n
			os.Remove(dest)
		}
		report(b, mp, moved)
	})

	// The like-for-like baseline: a plain GET that also verifies the SHA-256.
	b.Run("PlainGetSHA256", func(b *testing.B) {
		b.SetBytes(size)
		mp := startMemPeak()
		var moved int64
		for b.Loop() {
			obj, err := s.Client().GetObject(b.Context(), s.Bucket(), key, minio.GetObjectOptions{})
			if err != nil {
				b.Fatal(err)
			}
			f, err := os.Create(dest)
			if err != nil {
				b.Fatal(err)
			}
			h := sha256.New()
			n, err := io.Copy(io.MultiWriter(f, h), obj)
			obj.Close()
			f.Close()
			if err != nil || n != size || hex.EncodeToString(h.Sum(nil)) != sha {
				b.Fatalf("copied %d: %v", n, err)
			}
			moved += n
			os.Remove(dest)
		}
		report(b, mp, moved)
	})

	for _, c := range []struct {
		name string
		opts blob.FetchOptions
	}{
		{"Fetch", blob.FetchOptions{}},
		{"FetchSync", blob.FetchOptions{Sync: true}},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(size)
			mp := startMemPeak()
			var moved int64
			for b.Loop() {
				tr, err := blob.Fetch(b.Context(), s, key, sha, dest, c.opts)
				if err != nil {
					b.Fatal(err)
				}
				moved += tr.Bytes
				os.Remove(dest)
			}
			report(b, mp, moved)
		})
	}

	// The worker's path on a miss: cache.Get → blob.Fetch → verify → admit.
	b.Run("ColdCache", func(b *testing.B) {
		b.SetBytes(size)
		var moved atomic.Int64
		fetch := cache.BlobFetcher(s, blob.FetchOptions{}, func(tr blob.Transfer, _ error) { moved.Add(tr.Bytes) })
		mp := startMemPeak()
		i := 0
		for b.Loop() {
			i++
			cdir := filepath.Join(dir, "cold"+strconv.Itoa(i))
			c, err := cache.New(cdir, cache.Options{MaxBytes: 2 * size, Fetch: fetch, Logger: quiet})
			if err != nil {
				b.Fatal(err)
			}
			if _, hit, err := c.Get(b.Context(), sha, nil); err != nil || hit {
				b.Fatalf("Get = %v, hit %v", err, hit)
			}
			b.StopTimer()
			c.Release(sha)
			c.Close()
			os.RemoveAll(cdir)
			b.StartTimer()
		}
		report(b, mp, moved.Load())
	})

	b.Run("WarmCache", func(b *testing.B) {
		var moved atomic.Int64
		fetch := cache.BlobFetcher(s, blob.FetchOptions{}, func(tr blob.Transfer, _ error) { moved.Add(tr.Bytes) })
		c, err := cache.New(filepath.Join(dir, "cache"), cache.Options{MaxBytes: 2 * size, Fetch: fetch, Logger: quiet})
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		if _, _, err := c.Get(b.Context(), sha, nil); err != nil { // warm it
			b.Fatal(err)
		}
		c.Release(sha)
		moved.Store(0)
		mp := startMemPeak()
		for b.Loop() {
			_, hit, err := c.Get(b.Context(), sha, nil)
			if err != nil || !hit {
				b.Fatalf("Get = %v, hit %v", err, hit)
			}
			c.Release(sha)
		}
		report(b, mp, moved.Load())
	})
}

func newStoreB(b *testing.B, m *testutil.MinIO, bucket string) *s3Store {
	b.Helper()
	s, err := newS3(m, bucket)
	if err != nil {
		b.Fatal(err)
	}
	return s
}
