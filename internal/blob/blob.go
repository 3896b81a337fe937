// Package blob stores datasets and artifacts as named, immutable objects.
//
// Datasets are content-addressed: their key is derived from the SHA-256 of
// their bytes (DatasetKey), so a key names exactly one content. Artifacts are
// keyed by experiment, attempt and file name (ArtifactKey). The Store
// interface is small on purpose; backends live in sibling packages
// (blob/local for a directory, blob/s3 for MinIO or any S3 service) and all of
// them pass the one suite in blob/blobtest.
package blob

import (
	"context"
	"errors"
	"io"
	"time"
)

// ErrNotFound is returned (wrapped) by Get, GetRange and Stat when no object
// has the key.
var ErrNotFound = errors.New("blob: not found")

// ErrInvalidKey is returned (wrapped) for a key that ValidateKey rejects.
var ErrInvalidKey = errors.New("blob: invalid key")

// Info describes one stored object.
type Info struct {
	Key     string
	Size    int64
	ModTime time.Time
}

// Store is a flat namespace of immutable objects. Keys are checked with
// ValidateKey. Implementations are safe for concurrent use.
type Store interface {
	// Put stores the bytes of r under key, replacing any object there.
	// size is the exact length of r, or -1 when unknown. Readers never
	// observe a partly written object.
	Put(ctx context.Context, key string, r io.Reader, size int64) error
	// Get opens the object for reading and returns its size.
	Get(ctx context.Context, key string) (io.ReadCloser, int64, error)
	// Stat describes the object, or returns ErrNotFound.
	Stat(ctx context.Context, key string) (Info, error)
	// List returns every object whose key starts with prefix, sorted by key.
	List(ctx context.Context, prefix string) ([]Info, error)
	// Delete removes the object. Deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
}

// RangeReader is implemented by stores that can read part of an object.
// Fetch uses it for parallel downloads and falls back to Get without it.
type RangeReader interface {
	// GetRange reads length bytes of the object from offset.
	GetRange(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error)
}
