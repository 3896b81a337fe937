// Package cache is a worker's local copy of datasets: a directory of files
// named by their SHA-256, capped in bytes, evicting the least recently used
// files that nobody holds. Concurrent requests for one dataset share one
// download; every file is checked against its SHA-256 before it enters.
//
// Files are named "<sha256>-<size>". Downloads land under names starting
// with "." and are renamed only once verified. Files are not fsynced one by
// one (that would halve download speed on most disks); instead Close syncs
// them and leaves a ".clean" marker. New rebuilds the index from the
// directory, dropping temporary files and files whose size no longer matches
// their name; without the marker (the last run crashed) it also re-hashes
// every file and drops those that do not match their name.
package cache

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/drover-ml/drover/internal/blob"
)

// stagePrefix starts the name a download is written to before verification.
const stagePrefix = ".fetch-"

// cleanMarker exists in the directory while no Cache has it open and the
// last one closed cleanly.
const cleanMarker = ".clean"

// Log attribute keys.
const (
	attrSHA   = "sha256"
	attrSize  = "size"
	attrErr   = "err"
	attrFile  = "file"
	attrUsed  = "used"
	attrLimit = "max_bytes"
)

// FetchFunc downloads the dataset sha into the file dest (which it creates).
// It returns the SHA-256 it computed over the bytes it wrote, or "" to have
// the cache hash the file.
type FetchFunc func(ctx context.Context, sha, dest string) (sum string, err error)

// BlobFetcher returns a FetchFunc that reads blob.DatasetKey(sha) from s with
// blob.Fetch. It reports the transfer to onDone when onDone is not nil.
// opts.Sync is turned off: the cache makes its files durable itself (Close).
func BlobFetcher(s blob.Store, opts blob.FetchOptions, onDone func(blob.Transfer, error)) FetchFunc {
	opts.Sync = false
	return func(ctx context.Context, sha, dest string) (string, error) {
		tr, err := blob.Fetch(ctx, s, blob.DatasetKey(sha), sha, dest, opts)
		if onDone != nil {
			onDone(tr, err)
		}
		if err != nil {
			return "", err
		}
		return tr.SHA256, nil
	}
}

// Options configures a Cache.
type Options struct {
	MaxBytes int64        // the size the cache evicts down to (worker_cache_size_mb); 0 keeps only files in use
	Fetch    FetchFunc    // used by Prefetch and by Get when it is given nil
	Logger   *slog.Logger // nil = slog.Default()
}

// Stats are the cache's counters since New, for /metrics.
type Stats struct {
	Hits         int64 // Get served from the directory
	Misses       int64 // Get that started a download
	Shared       int64 // Get that joined a download already running
	BytesFetched int64 // bytes of files downloaded and admitted
	Evictions    int64 // files removed to respect MaxBytes
	Entries      int   // files held now
	Bytes        int64 // their total size
	InUse        int   // files with a reference now
	MaxBytes     int64
}

// ErrClosed is returned by Get after Close.
var ErrClosed = errors.New("cache: closed")

type entry struct {
	sha  string
	size int64
	refs int
	elem *list.Element // in Cache.lru; front = most recently used
}

type flight struct {
	done      chan struct{}
	waiters   int
	completed bool
	abandoned bool // every caller gave up; the download is being stopped
	err       error
	cancel    context.CancelFunc
}

// Cache is safe for concurrent use.
type Cache struct {
	dir   string
	opts  Options
	log   *slog.Logger
	bg    context.Context
	stop  context.CancelFunc
	bgWG  sync.WaitGroup
	clock func() time.Time

	mu      sync.Mutex
	entries map[string]*entry
	lru     *list.List
	used    int64
	flights map[string]*flight
	stats   Stats
	closed  bool
}

// New opens (or creates) the cache in dir and rebuilds its index from the
// files there, evicting down to MaxBytes.
func New(dir string, opts Options) (*Cache, error) {
	if opts.MaxBytes < 0 {
		return nil, fmt.Errorf("cache: max bytes must not be negative, got %d", opts.MaxBytes)
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	bg, stop := context.WithCancel(context.Background())
	c := &Cache{
		dir:     dir,
		opts:    opts,
		log:     opts.Logger.With("component", "cache"),
		bg:      bg,
		stop:    stop,
		clock:   time.Now,
		entries: make(map[string]*entry),
		lru:     list.New(),
		flights: make(map[string]*flight),
	}
	if err := c.rebuild(); err != nil {
		stop()
		return nil, err
	}
	return c, nil
}

// Dir returns the cache directory.
func (c *Cache) Dir() string { return c.dir }

func (c *Cache) path(sha string, size int64) string {
	return filepath.Join(c.dir, sha+"-"+strconv.FormatInt(size, 10))
}

// parseName returns the SHA-256 and size encoded in a cache file name.
func parseName(name string) (sha string, size int64, ok bool) {
	sha, sizeStr, found := strings.Cut(name, "-")
	if !found || !blob.ValidSHA256(sha) {
		return "", 0, false
	}
	size, err := strconv.ParseInt(sizeStr, 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != sizeStr {
		return "", 0, false
	}
	return sha, size, true
}

// rebuild indexes the directory: least recently used first by mtime.
func (c *Cache) rebuild() error {
	markerPath := filepath.Join(c.dir, cleanMarker)
	_, err := os.Stat(markerPath)
	clean := err == nil
	if err := os.Remove(markerPath); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("cache: %w", err)
	}
	if err := blob.SyncPath(c.dir); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	ents, err := os.ReadDir(c.dir)
	if err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	type found struct {
		sha   string
		size  int64
		mtime time.Time
	}
	var files []found
	for _, de := range ents {
		full := filepath.Join(c.dir, de.Name())
		if de.IsDir() {
			c.log.Warn("cache: ignoring directory", attrFile, full)
			continue
		}
		sha, size, ok := parseName(de.Name())
		info, err := de.Info()
		ok = ok && err == nil && info.Mode().IsRegular() && info.Size() == size
		if ok && !clean {
			sum, _, err := blob.HashFile(full)
			ok = err == nil && sum == sha
		}
		if ok {
			files = append(files, found{sha, size, info.ModTime()})
			continue
		}
		c.log.Info("cache: dropping temporary or unverifiable file", attrFile, full)
		if err := os.Remove(full); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("cache: %w", err)
		}
	}
	// Most recent first, so PushBack leaves the oldest at the back.
	slices.SortStableFunc(files, func(a, b found) int { return b.mtime.Compare(a.mtime) })
	for _, f := range files {
		if _, dup := c.entries[f.sha]; dup { // one sha, two sizes: someone tampered
			c.log.Warn("cache: second file for one sha256; dropping it", attrSHA, f.sha, attrSize, f.size)
			_ = os.Remove(c.path(f.sha, f.size))
			continue
		}
		e := &entry{sha: f.sha, size: f.size}
		e.elem = c.lru.PushBack(e)
		c.entries[f.sha] = e
		c.used += f.size
	}
	c.mu.Lock()
	c.evictLocked()
	c.mu.Unlock()
	c.log.Info("cache: opened", "dir", c.dir, "entries", len(c.entries), attrUsed, c.used,
		attrLimit, c.opts.MaxBytes, "verified", !clean)
	return nil
}

// Get returns the path of dataset sha, downloading it with fetch (or
// Options.Fetch when fetch is nil) if it is not here. hit is true when no
// download was needed. On success the caller holds a reference that keeps
// the file from eviction and must call Release(sha) when done with it.
//
// A Get that gives up (ctx done) does not stop a download other callers
// still wait for; the download stops when all its callers gave up, and the
// last of them returns once it has stopped and its partial file is gone.
func (c *Cache) Get(ctx context.Context, sha string, fetch FetchFunc) (path string, hit bool, err error) {
	if !blob.ValidSHA256(sha) {
		return "", false, fmt.Errorf("cache: invalid sha256 %q", sha)
	}
	if fetch == nil {
		fetch = c.opts.Fetch
	}
	c.mu.Lock()
	for {
		if c.closed {
			c.mu.Unlock()
			return "", false, ErrClosed
		}
		fl := c.flights[sha]
		if fl == nil || !fl.abandoned {
			break
		}
		// A download everyone gave up on is stopping: wait for it to end,
		// then look again (a new one starts).
		c.mu.Unlock()
		select {
		case <-fl.done:
		case <-ctx.Done():
			return "", false, fmt.Errorf("cache: get %s: %w", sha, ctx.Err())
		}
		c.mu.Lock()
	}
	if p, ok := c.acquireLocked(sha, true); ok {
		c.stats.Hits++
		c.mu.Unlock()
		now := c.clock()
		_ = os.Chtimes(p, now, now) // recency survives restarts
		return p, true, nil
	}
	fl := c.flights[sha]
	if fl == nil {
		if fetch == nil {
			c.mu.Unlock()
			return "", false, fmt.Errorf("cache: no fetch function for %s", sha)
		}
		fctx, cancel := context.WithCancel(c.bg)
		fl = &flight{done: make(chan struct{}), cancel: cancel}
		c.flights[sha] = fl
		c.stats.Misses++
		c.bgWG.Add(1)
		go c.fill(fctx, sha, fetch, fl)
	} else {
		c.stats.Shared++
	}
	fl.waiters++
	c.mu.Unlock()

	select {
	case <-fl.done:
	case <-ctx.Done():
		c.mu.Lock()
		if !fl.completed {
			fl.waiters--
			last := fl.waiters == 0
			if last {
				fl.abandoned = true
				fl.cancel()
			}
			c.mu.Unlock()
			if last {
				// The fetch stops on its context; wait until it has and
				// its partial file is removed (if it completed after all,
				// the file is admitted with no reference).
				<-fl.done
			}
			return "", false, fmt.Errorf("cache: get %s: %w", sha, ctx.Err())
		}
		c.mu.Unlock()
		if fl.err == nil {
			c.Release(sha) // the reference fill took for us
		}
		return "", false, fmt.Errorf("cache: get %s: %w", sha, ctx.Err())
	}
	if fl.err != nil {
		return "", false, fl.err
	}
	c.mu.Lock()
	e := c.entries[sha]
	c.mu.Unlock()
	return c.path(sha, e.size), false, nil
}

// acquireLocked takes a reference on sha if it is present and sound.
func (c *Cache) acquireLocked(sha string, check bool) (string, bool) {
	e := c.entries[sha]
	if e == nil {
		return "", false
	}
	p := c.path(sha, e.size)
	if check && e.refs == 0 {
		// Nobody holds it: make sure nothing truncated or removed it meanwhile.
		if st, err := os.Stat(p); err != nil || st.Size() != e.size {
			c.log.Warn("cache: file changed on disk; dropping it", attrFile, p, attrErr, err)
			c.removeLocked(e)
			return "", false
		}
	}
	e.refs++
	c.lru.MoveToFront(e.elem)
	return p, true
}

// Acquire takes a reference on dataset sha if the cache holds it, without
// downloading. The caller must Release it.
func (c *Cache) Acquire(sha string) (path string, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.acquireLocked(sha, true)
}

// Release drops a reference taken by Get or Acquire.
func (c *Cache) Release(sha string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entries[sha]
	if e == nil || e.refs == 0 {
		c.log.Error("cache: release without a reference", attrSHA, sha)
		return
	}
	e.refs--
	if e.refs == 0 && c.used > c.opts.MaxBytes {
		c.evictLocked()
	}
}

// fill downloads sha for the callers of fl, admits the file and hands each
// caller still waiting a reference.
func (c *Cache) fill(ctx context.Context, sha string, fetch FetchFunc, fl *flight) {
	defer c.bgWG.Done()
	defer fl.cancel()
	size, err := c.download(ctx, sha, fetch)
	c.mu.Lock()
	delete(c.flights, sha)
	fl.completed = true
	fl.err = err
	if err == nil {
		e := &entry{sha: sha, size: size, refs: fl.waiters}
		e.elem = c.lru.PushFront(e)
		c.entries[sha] = e
		c.used += size
		c.stats.BytesFetched += size
		c.evictLocked()
		if c.used > c.opts.MaxBytes {
			c.log.Warn("cache: over its limit; files in use cannot be evicted", attrUsed, c.used, attrLimit, c.opts.MaxBytes)
		}
	}
	c.mu.Unlock()
	close(fl.done)
}

// download fetches into a staging file, verifies it and renames it into place.
func (c *Cache) download(ctx context.Context, sha string, fetch FetchFunc) (size int64, err error) {
	stage := filepath.Join(c.dir, stagePrefix+sha)
	defer func() {
		if err != nil {
			_ = os.Remove(stage)
		}
	}()
	_ = os.Remove(stage) // left by a crash
	sum, err := fetch(ctx, sha, stage)
	if err != nil {
		return 0, fmt.Errorf("cache: fetch %s: %w", sha, err)
	}
	if sum == "" {
		if sum, _, err = blob.HashFile(stage); err != nil {
			return 0, fmt.Errorf("cache: fetch %s: %w", sha, err)
		}
	}
	if sum != sha {
		return 0, fmt.Errorf("cache: fetch %s: %w: %w: got %s", sha, blob.ErrTransfer, blob.ErrChecksum, sum)
	}
	st, err := os.Stat(stage)
	if err != nil {
		return 0, fmt.Errorf("cache: fetch %s: %w", sha, err)
	}
	if err := os.Rename(stage, c.path(sha, st.Size())); err != nil {
		return 0, fmt.Errorf("cache: fetch %s: %w", sha, err)
	}
	c.log.Debug("cache: admitted", attrSHA, sha, attrSize, st.Size())
	return st.Size(), nil
}

// evictLocked removes unreferenced files, oldest first, until the cache fits.
func (c *Cache) evictLocked() {
	for el := c.lru.Back(); el != nil && c.used > c.opts.MaxBytes; {
		e := el.Value.(*entry)
		el = el.Prev()
		if e.refs > 0 {
			continue
		}
		c.removeLocked(e)
		c.stats.Evictions++
		c.log.Debug("cache: evicted", attrSHA, e.sha, attrSize, e.size)
	}
}

func (c *Cache) removeLocked(e *entry) {
	if err := os.Remove(c.path(e.sha, e.size)); err != nil && !errors.Is(err, os.ErrNotExist) {
		c.log.Error("cache: remove failed", attrSHA, e.sha, attrErr, err)
	}
	c.lru.Remove(e.elem)
	delete(c.entries, e.sha)
	c.used -= e.size
}

// Prefetch starts downloading dataset sha in the background with
// Options.Fetch, unless it is here or on its way. Errors are logged.
func (c *Cache) Prefetch(sha string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || c.entries[sha] != nil || c.flights[sha] != nil {
		return
	}
	if c.opts.Fetch == nil {
		c.log.Error("cache: prefetch without a fetch function", attrSHA, sha)
		return
	}
	c.bgWG.Add(1)
	go func() {
		defer c.bgWG.Done()
		if _, _, err := c.Get(c.bg, sha, nil); err != nil {
			if c.bg.Err() == nil {
				c.log.Warn("cache: prefetch failed", attrSHA, sha, attrErr, err)
			}
			return
		}
		c.Release(sha)
	}()
}

// Stats returns the counters and the current occupancy.
func (c *Cache) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stats
	s.Entries, s.Bytes, s.MaxBytes = len(c.entries), c.used, c.opts.MaxBytes
	for _, e := range c.entries {
		if e.refs > 0 {
			s.InUse++
		}
	}
	return s
}

// Close cancels downloads in progress, waits for them, syncs the files to
// disk and marks the directory clean. Files stay. A second Close does nothing.
func (c *Cache) Close() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	c.mu.Unlock()
	c.stop()
	c.bgWG.Wait()

	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.entries {
		if err := blob.SyncPath(c.path(e.sha, e.size)); err != nil {
			c.log.Warn("cache: sync failed; next start re-verifies", attrSHA, e.sha, attrErr, err)
			return
		}
	}
	if err := os.WriteFile(filepath.Join(c.dir, cleanMarker), nil, 0o644); err != nil {
		c.log.Warn("cache: cannot mark clean; next start re-verifies", attrErr, err)
		return
	}
	if err := blob.SyncPath(filepath.Join(c.dir, cleanMarker)); err == nil {
		_ = blob.SyncPath(c.dir)
	}
}
