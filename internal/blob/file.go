package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
)

// HashFile returns the SHA-256 (lower-case hex) and size of the file at path.
func HashFile(path string) (sum string, size int64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, fmt.Errorf("blob: hash file: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, fmt.Errorf("blob: hash file %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// PutFile uploads the file at path under key, streaming it.
func PutFile(ctx context.Context, s Store, key, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("blob: put file: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("blob: put file: %w", err)
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("blob: put file %s: not a regular file", path)
	}
	return s.Put(ctx, key, f, st.Size())
}

// PutDataset hashes the file at path and uploads it under its DatasetKey,
// unless an object of the same size is already there. It returns the
// SHA-256 and the size.
func PutDataset(ctx context.Context, s Store, path string) (sum string, size int64, err error) {
	sum, size, err = HashFile(path)
	if err != nil {
		return "", 0, err
	}
	key := DatasetKey(sum)
	if info, err := s.Stat(ctx, key); err == nil && info.Size == size {
		return sum, size, nil
	}
	if err := PutFile(ctx, s, key, path); err != nil {
		return "", 0, err
	}
	return sum, size, nil
}

// ctxReader makes a long copy notice cancellation between reads.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// ContextReader returns r wrapped so that reads fail once ctx is done.
func ContextReader(ctx context.Context, r io.Reader) io.Reader {
	return ctxReader{ctx: ctx, r: r}
}
