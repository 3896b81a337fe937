// Package local is the directory backend of blob.Store: one file per key
// under a root directory, written atomically (temporary file, fsync, rename).
package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/drover-ml/drover/internal/blob"
)

// tempPrefix starts the names of files being written. blob.ValidateKey
// refuses segments starting with ".", so no key can collide with them.
const tempPrefix = ".put-"

// Store keeps objects as files under Root.
type Store struct {
	root string
}

var (
	_ blob.Store       = (*Store)(nil)
	_ blob.RangeReader = (*Store)(nil)
)

// New returns a store rooted at dir, creating the directory if needed.
func New(dir string) (*Store, error) {
	if dir == "" {
		return nil, errors.New("blob: local store: empty directory")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("blob: local store: %w", err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("blob: local store: %w", err)
	}
	return &Store{root: abs}, nil
}

// Root returns the directory holding the objects.
func (s *Store) Root() string { return s.root }

// Path returns the file that holds key (which need not exist).
func (s *Store) Path(key string) (string, error) {
	if err := blob.ValidateKey(key); err != nil {
		return "", err
	}
	return filepath.Join(s.root, filepath.FromSlash(key)), nil
}

// Put writes r to a temporary file next to the target, syncs it and renames
// it into place.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, size int64) (err error) {
	path, err := s.Path(key)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("blob: put %s: %w", key, err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("blob: put %s: %w", key, err)
	}
	tmp, err := os.CreateTemp(dir, tempPrefix+"*")
	if err != nil {
		return fmt.Errorf("blob: put %s: %w", key, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	n, err := io.Copy(tmp, blob.ContextReader(ctx, r))
	if err != nil {
		return fmt.Errorf("blob: put %s: %w", key, err)
	}
	if size >= 0 && n != size {
		return fmt.Errorf("blob: put %s: read %d bytes, expected %d", key, n, size)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("blob: put %s: %w", key, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("blob: put %s: %w", key, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("blob: put %s: %w", key, err)
	}
	if err := blob.SyncPath(dir); err != nil {
		return fmt.Errorf("blob: put %s: %w", key, err)
	}
	return nil
}

// Get opens the file of key.
func (s *Store) Get(ctx context.Context, key string) (io.ReadCloser, int64, error) {
	f, st, err := s.open(ctx, key)
	if err != nil {
		return nil, 0, fmt.Errorf("blob: get %s: %w", key, err)
	}
	return f, st.Size(), nil
}

// GetRange reads length bytes of key from offset.
func (s *Store) GetRange(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	f, st, err := s.open(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("blob: get range %s: %w", key, err)
	}
	if offset < 0 || length < 0 || offset+length > st.Size() {
		f.Close()
		return nil, fmt.Errorf("blob: get range %s: range %d+%d outside size %d", key, offset, length, st.Size())
	}
	return sectionReadCloser{io.NewSectionReader(f, offset, length), f}, nil
}

type sectionReadCloser struct {
	*io.SectionReader
	f *os.File
}

func (s sectionReadCloser) Close() error { return s.f.Close() }

func (s *Store) open(ctx context.Context, key string) (*os.File, fs.FileInfo, error) {
	path, err := s.Path(key)
	if err != nil {
		return nil, nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, mapErr(err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, nil, blob.ErrNotFound
	}
	return f, st, nil
}

// Stat describes the file of key.
func (s *Store) Stat(ctx context.Context, key string) (blob.Info, error) {
	path, err := s.Path(key)
	if err != nil {
		return blob.Info{}, err
	}
	if err := ctx.Err(); err != nil {
		return blob.Info{}, fmt.Errorf("blob: stat %s: %w", key, err)
	}
	st, err := os.Stat(path)
	if err == nil && !st.Mode().IsRegular() {
		err = blob.ErrNotFound
	}
	if err != nil {
		return blob.Info{}, fmt.Errorf("blob: stat %s: %w", key, mapErr(err))
	}
	return blob.Info{Key: key, Size: st.Size(), ModTime: st.ModTime()}, nil
}

// List walks the directory under prefix.
func (s *Store) List(ctx context.Context, prefix string) ([]blob.Info, error) {
	if err := blob.ValidatePrefix(prefix); err != nil {
		return nil, err
	}
	// Walk from the deepest directory the prefix names fully.
	start := s.root
	if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
		start = filepath.Join(s.root, filepath.FromSlash(prefix[:i]))
	}
	var out []blob.Info
	err := filepath.WalkDir(start, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if strings.HasPrefix(d.Name(), ".") && path != start {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(s.root, path)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		if !strings.HasPrefix(key, prefix) || blob.ValidateKey(key) != nil {
			return nil
		}
		st, err := d.Info()
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		out = append(out, blob.Info{Key: key, Size: st.Size(), ModTime: st.ModTime()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("blob: list %q: %w", prefix, err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// Delete removes the file of key; a missing file is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	path, err := s.Path(key)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("blob: delete %s: %w", key, err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("blob: delete %s: %w", key, err)
	}
	return nil
}

func mapErr(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %w", blob.ErrNotFound, err)
	}
	// A path component that is a file ("a" exists, "a/b" asked) is a miss too.
	if errors.Is(err, syscall.ENOTDIR) {
		return fmt.Errorf("%w: %w", blob.ErrNotFound, err)
	}
	return err
}
