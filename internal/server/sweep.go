package server

import (
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

// sweep removes what an earlier server process left half-written when it
// was killed: uploads and predict bodies in data/tmp, blob files being put
// (".put-*" under data/blobs) and model downloads (data/models/*.tmp). It
// runs in New, before the server takes requests, so nothing it removes is
// in use: the server is the only writer of these places.
func (s *Server) sweep() {
	var removed int
	var bytes int64
	drop := func(path string, d fs.DirEntry) {
		if info, err := d.Info(); err == nil && !d.IsDir() {
			bytes += info.Size()
		}
		if err := os.RemoveAll(path); err != nil {
			s.log.Warn("startup sweep", slog.String("path", path), slog.Any("err", err))
			return
		}
		removed++
	}
	if entries, err := os.ReadDir(filepath.Join(s.dataDir, "tmp")); err == nil {
		for _, e := range entries {
			drop(filepath.Join(s.dataDir, "tmp", e.Name()), e)
		}
	}
	_ = filepath.WalkDir(filepath.Join(s.dataDir, "blobs"), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if !d.IsDir() && strings.HasPrefix(d.Name(), ".put-") {
			drop(path, d)
		}
		return nil
	})
	if entries, err := os.ReadDir(filepath.Join(s.dataDir, "models")); err == nil {
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ".tmp") {
				drop(filepath.Join(s.dataDir, "models", e.Name()), e)
			}
		}
	}
	if removed > 0 {
		s.log.Info("startup sweep removed leftovers of interrupted uploads and writes",
			slog.Int("entries", removed), slog.Int64("bytes", bytes))
	}
}
