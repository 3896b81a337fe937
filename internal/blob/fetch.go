package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
)

// Fetch defaults, applied by FetchOptions.withDefaults.
const (
	FetchParallelDefault   = 4
	FetchPartSizeDefault   = 16 << 20
	FetchRetriesDefault    = 4
	FetchRetryDelayDefault = 250 * time.Millisecond
	fetchRetryDelayMax     = 5 * time.Second
	// copyBufSize is the buffer each part streams through: the memory a
	// transfer holds is about Parallel × copyBufSize, whatever the size.
	copyBufSize = 1 << 20
)

// ErrTransfer marks an error of Fetch that a retry elsewhere may cure: the
// store did not answer, the object vanished or arrived corrupt. Callers
// classify it as an infra failure.
var ErrTransfer = errors.New("blob: transfer failed")

// ErrChecksum is returned (with ErrTransfer) when the fetched bytes do not
// have the expected SHA-256.
var ErrChecksum = errors.New("blob: checksum mismatch")

// FetchOptions tunes Fetch. The zero value uses the defaults.
type FetchOptions struct {
	Parallel   int           // ranged reads in flight at once
	PartSize   int64         // bytes per ranged read
	Retries    int           // extra attempts per part (and for the first Stat); <0 means none
	RetryDelay time.Duration // first backoff; it doubles up to 5 s, with jitter
	Sync       bool          // fsync the file before the rename and the directory after
}

func (o FetchOptions) withDefaults() FetchOptions {
	if o.Parallel <= 0 {
		o.Parallel = FetchParallelDefault
	}
	if o.PartSize <= 0 {
		o.PartSize = FetchPartSizeDefault
	}
	if o.Retries == 0 {
		o.Retries = FetchRetriesDefault
	} else if o.Retries < 0 {
		o.Retries = 0
	}
	if o.RetryDelay <= 0 {
		o.RetryDelay = FetchRetryDelayDefault
	}
	return o
}

// Transfer reports what a Fetch did.
type Transfer struct {
	Size    int64  // object size
	Bytes   int64  // bytes read from the store, re-reads after failures included
	SHA256  string // of the bytes written
	Parts   int
	Retries int
	Elapsed time.Duration
}

// Fetch downloads the object key into destPath. With a RangeReader store it
// reads opts.Parallel parts of opts.PartSize at once into a temporary file in
// destPath's directory (WriteAt), hashing the file in order as its prefix
// completes; otherwise it streams one Get. A failed read is retried from where
// it stopped, opts.Retries times with backoff. The file is renamed to
// destPath only when it is whole and, if wantSHA256 is not empty, has that
// SHA-256: a failed or cancelled Fetch leaves nothing at destPath (an
// existing file there is untouched) and no temporary file. The file is not
// fsynced unless opts.Sync is set (with Sync, writeback starts as each part
// lands, and the final fsync waits for the rest).
//
// Errors other than an invalid argument or ctx's own error wrap ErrTransfer.
func Fetch(ctx context.Context, s Store, key, wantSHA256, destPath string, opts FetchOptions) (Transfer, error) {
	opts = opts.withDefaults()
	start := time.Now()
	if err := ValidateKey(key); err != nil {
		return Transfer{}, err
	}
	if wantSHA256 != "" && !ValidSHA256(wantSHA256) {
		return Transfer{}, fmt.Errorf("blob: fetch %s: invalid sha256 %q", key, wantSHA256)
	}
	f := &fetch{ctx: ctx, store: s, key: key, opts: opts}
	tr, err := f.run(destPath, wantSHA256)
	tr.Elapsed = time.Since(start)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return tr, fmt.Errorf("blob: fetch %s: %w", key, ctxErr)
		}
		return tr, fmt.Errorf("blob: fetch %s: %w: %w", key, ErrTransfer, err)
	}
	return tr, nil
}

type fetch struct {
	ctx   context.Context
	store Store
	key   string
	opts  FetchOptions

	bytes   atomic.Int64
	retries atomic.Int64
}

// writeError marks a local disk failure: retrying the read cannot help.
type writeError struct{ err error }

func (e writeError) Error() string { return "write: " + e.err.Error() }
func (e writeError) Unwrap() error { return e.err }

func (f *fetch) run(destPath, want string) (tr Transfer, err error) {
	var info Info
	err = f.retry(f.ctx, func() error {
		var err error
		info, err = f.store.Stat(f.ctx, f.key)
		return err
	})
	if err != nil {
		return tr, err
	}
	tr.Size = info.Size
	dir := filepath.Dir(destPath)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(destPath)+".part-*")
	if err != nil {
		return tr, writeError{err}
	}
	defer func() {
		tr.Bytes, tr.Retries = f.bytes.Load(), int(f.retries.Load())
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	var sum string
	if rr, ok := f.store.(RangeReader); ok {
		tr.Parts = int((info.Size + f.opts.PartSize - 1) / f.opts.PartSize)
		sum, err = f.ranged(rr, tmp, info.Size, tr.Parts)
	} else {
		tr.Parts = 1
		sum, err = f.stream(tmp, info.Size)
	}
	if err != nil {
		return tr, err
	}
	tr.SHA256 = sum
	if want != "" && sum != want {
		return tr, fmt.Errorf("%w: got sha256 %s, want %s", ErrChecksum, sum, want)
	}
	if f.opts.Sync {
		if err := tmp.Sync(); err != nil {
			return tr, writeError{err}
		}
	}
	if err := tmp.Close(); err != nil {
		return tr, writeError{err}
	}
	if err := os.Rename(tmp.Name(), destPath); err != nil {
		return tr, writeError{err}
	}
	if f.opts.Sync {
		if err := SyncPath(dir); err != nil {
			os.Remove(destPath) // an error means nothing at destPath
			return tr, writeError{err}
		}
	}
	return tr, nil
}

// ranged downloads parts in parallel and hashes the file behind them.
func (f *fetch) ranged(rr RangeReader, tmp *os.File, size int64, parts int) (string, error) {
	if err := tmp.Truncate(size); err != nil {
		return "", writeError{err}
	}
	hctx, hcancel := context.WithCancel(f.ctx)
	defer hcancel()
	h := &orderedHasher{f: tmp, partSize: f.opts.PartSize, size: size, parts: parts, done: make(chan int, parts)}
	hashed := make(chan error, 1)
	go func() { hashed <- h.run(hctx) }()

	g, gctx := errgroup.WithContext(f.ctx)
	g.SetLimit(f.opts.Parallel)
	for i := 0; i < parts && gctx.Err() == nil; i++ {
		g.Go(func() error {
			off := int64(i) * f.opts.PartSize
			end := min(off+f.opts.PartSize, size)
			err := f.retry(gctx, func() error { return f.part(gctx, rr, tmp, &off, end) })
			if err != nil {
				return fmt.Errorf("part %d/%d: %w", i+1, parts, err)
			}
			if f.opts.Sync {
				startWriteback(tmp, int64(i)*f.opts.PartSize, end-int64(i)*f.opts.PartSize)
			}
			h.done <- i
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		hcancel()
		<-hashed
		return "", err
	}
	if err := <-hashed; err != nil {
		return "", err
	}
	return hex.EncodeToString(h.h.Sum(nil)), nil
}

var copyBufs = sync.Pool{New: func() any { b := make([]byte, copyBufSize); return &b }}

// part reads [*off, end) and writes it at the same offsets, advancing *off
// as bytes land so that a retry resumes where this attempt stopped.
func (f *fetch) part(ctx context.Context, rr RangeReader, tmp *os.File, off *int64, end int64) error {
	rc, err := rr.GetRange(ctx, f.key, *off, end-*off)
	if err != nil {
		return err
	}
	defer rc.Close()
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	buf := *bp
	for *off < end {
		n, rerr := io.ReadFull(rc, buf[:min(int64(len(buf)), end-*off)])
		if n > 0 {
			f.bytes.Add(int64(n))
			if _, err := tmp.WriteAt(buf[:n], *off); err != nil {
				return writeError{err}
			}
			*off += int64(n)
		}
		if rerr != nil {
			if *off == end {
				return nil
			}
			if rerr == io.EOF {
				rerr = io.ErrUnexpectedEOF
			}
			return rerr
		}
	}
	return nil
}

// stream downloads with one Get, for stores without ranged reads. A retry
// starts over.
func (f *fetch) stream(tmp *os.File, size int64) (string, error) {
	var sum string
	err := f.retry(f.ctx, func() error {
		if _, err := tmp.Seek(0, io.SeekStart); err != nil {
			return writeError{err}
		}
		if err := tmp.Truncate(0); err != nil {
			return writeError{err}
		}
		rc, _, err := f.store.Get(f.ctx, f.key)
		if err != nil {
			return err
		}
		defer rc.Close()
		h := sha256.New()
		bp := copyBufs.Get().(*[]byte)
		defer copyBufs.Put(bp)
		n, err := io.CopyBuffer(io.MultiWriter(tmp, h), countingReader{ContextReader(f.ctx, rc), &f.bytes}, *bp)
		if err != nil {
			return err
		}
		if n != size {
			return fmt.Errorf("read %d bytes, object has %d: %w", n, size, io.ErrUnexpectedEOF)
		}
		sum = hex.EncodeToString(h.Sum(nil))
		return nil
	})
	return sum, err
}

type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// retry runs op until it succeeds, fails for good, or runs out of attempts.
func (f *fetch) retry(ctx context.Context, op func() error) error {
	delay := f.opts.RetryDelay
	for attempt := 0; ; attempt++ {
		err := op()
		if err == nil {
			return nil
		}
		var we writeError
		if ctx.Err() != nil || errors.Is(err, ErrNotFound) || errors.As(err, &we) || attempt >= f.opts.Retries {
			if attempt > 0 {
				return fmt.Errorf("after %d attempts: %w", attempt+1, err)
			}
			return err
		}
		f.retries.Add(1)
		jittered := delay/2 + rand.N(delay/2+1)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(jittered):
		}
		delay = min(delay*2, fetchRetryDelayMax)
	}
}

// orderedHasher hashes the file part by part, in order, as parts complete.
// It re-reads what the workers wrote (from the page cache, normally), so no
// part is held in memory waiting for its turn.
type orderedHasher struct {
	f        *os.File
	partSize int64
	size     int64
	parts    int
	done     chan int
	h        hash.Hash
}

func (o *orderedHasher) run(ctx context.Context) error {
	o.h = sha256.New()
	finished := make([]bool, o.parts)
	next := 0
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	for next < o.parts {
		select {
		case i := <-o.done:
			finished[i] = true
		case <-ctx.Done():
			return ctx.Err()
		}
		for next < o.parts && finished[next] {
			off := int64(next) * o.partSize
			sec := io.NewSectionReader(o.f, off, min(o.partSize, o.size-off))
			if _, err := io.CopyBuffer(o.h, sec, *bp); err != nil {
				return fmt.Errorf("hash: %w", err)
			}
			next++
		}
	}
	return nil
}

// SyncPath flushes the file or directory at path to disk. Synced, a
// directory's entries (a file renamed into it) survive a crash.
func SyncPath(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
