package worker

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/drover-ml/drover/internal/blob"
	"github.com/drover-ml/drover/internal/blob/s3"
	"github.com/drover-ml/drover/internal/cache"
	"github.com/drover-ml/drover/internal/config"
	"github.com/drover-ml/drover/internal/protocol"
	"github.com/drover-ml/drover/internal/queue"
)

// objectData is the multinode data path: datasets come from the object
// store through a size-capped local cache, outputs go back to the store
// under keys scoped to the attempt.
type objectData struct {
	store *s3.Store
	fetch blob.Store // what datasets are read from: store, or a test's wrapper of it
	cache *cache.Cache
	dir   string
	log   *slog.Logger
}

// newObjectData opens the object store and the cache. wrap, when not nil,
// wraps the store datasets are fetched from (tests throttle it).
func newObjectData(ctx context.Context, cfg *config.Config, dir string, log *slog.Logger, wrap func(blob.Store) blob.Store) (*objectData, error) {
	st, err := s3.New(s3.FromConfig(cfg, ""))
	if err != nil {
		return nil, fmt.Errorf("worker: object store: %w", err)
	}
	if err := st.WaitBucket(ctx, cfg.BucketPingTimeout()); err != nil {
		return nil, fmt.Errorf("worker: %w", err)
	}
	var from blob.Store = st
	if wrap != nil {
		from = wrap(st)
	}
	c, err := cache.New(filepath.Join(dir, "cache"), cache.Options{
		MaxBytes: int64(cfg.WorkerCacheSizeMB) << 20,
		Fetch:    cache.BlobFetcher(from, blob.FetchOptions{}, nil),
		Logger:   log,
	})
	if err != nil {
		return nil, fmt.Errorf("worker: dataset cache: %w", err)
	}
	return &objectData{store: st, fetch: from, cache: c, dir: dir, log: log}, nil
}

func (d *objectData) Dataset(ctx context.Context, a *protocol.Assignment, ref queue.Ref, events func(protocol.Event)) (string, func(), error) {
	start := time.Now()
	var moved int64
	fetch := cache.BlobFetcher(d.fetch, blob.FetchOptions{}, func(tr blob.Transfer, err error) {
		if err == nil {
			moved = tr.Bytes
		}
	})
	path, hit, err := d.cache.Get(ctx, a.DatasetSHA256, fetch)
	if err != nil {
		return "", nil, fmt.Errorf("fetch dataset %s from %s: %w", a.DatasetSHA256[:12], d.store.Endpoint(), err)
	}
	took := time.Since(start)
	msg := fmt.Sprintf("dataset %s: cache hit, 0 bytes moved", a.DatasetSHA256[:12])
	if !hit {
		rate := float64(moved) / (1 << 20) / max(took.Seconds(), 1e-6)
		msg = fmt.Sprintf("dataset %s: fetched %d bytes in %s (%.1f MiB/s)", a.DatasetSHA256[:12], moved, took.Round(time.Millisecond), rate)
	}
	events(protocol.Event{Type: protocol.EventData, Level: "info", Message: msg, Bytes: moved, CacheHit: hit, Fraction: took.Seconds()})
	sha := a.DatasetSHA256
	return path, func() { d.cache.Release(sha) }, nil
}

func (d *objectData) OutputDir(a *protocol.Assignment, ref queue.Ref) string {
	return filepath.Join(d.dir, "attempts", ref.Experiment, "attempt-"+strconv.Itoa(ref.Attempt))
}

// Publish uploads every output file under the attempt's artifact keys, then
// removes the local copy.
func (d *objectData) Publish(ctx context.Context, a *protocol.Assignment, ref queue.Ref) error {
	out := d.OutputDir(a, ref)
	err := filepath.WalkDir(out, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		rel, err := filepath.Rel(out, p)
		if err != nil {
			return err
		}
		return blob.PutFile(ctx, d.store, blob.ArtifactKey(ref.Experiment, ref.Attempt, filepath.ToSlash(rel)), p)
	})
	if err != nil {
		return err
	}
	return os.RemoveAll(out)
}

func (d *objectData) Close() { d.cache.Close() }

// Prefetch starts fetching a dataset into the cache in the background.
func (d *objectData) Prefetch(sha string) { d.cache.Prefetch(sha) }
