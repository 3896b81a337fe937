package server

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/drover-ml/drover/internal/blob"
)

// The orphan sweep removes files and objects that no store row names: what
// a delete interrupted by a crash left behind (delete.go removes the row
// first), or an upload killed between filing its file and storing its row.
// Artifacts are written only for experiments whose row exists, and a
// dataset's file is filed under the content lock until its row is stored,
// so nothing in use is ever an orphan.

// sweepLocalOrphans removes, on the server's disk, dataset files whose
// content no dataset row names, and the artifact and model directories of
// experiments that are not stored. It runs in New, before requests.
func (s *Server) sweepLocalOrphans(ctx context.Context) (removed int) {
	drop := func(path string) {
		if err := os.RemoveAll(path); err != nil {
			s.log.Warn("orphan sweep", slog.String("path", path), slog.Any("err", err))
			return
		}
		removed++
	}
	dsDir := filepath.Join(s.dataDir, "blobs", filepath.FromSlash(blob.DatasetPrefix))
	shas := names(dsDir, func(n string) (string, bool) { return n, blob.ValidSHA256(n) })
	if known, err := s.store.DatasetSHAs(ctx, keys(shas)); err == nil {
		for sha := range shas {
			if !known[sha] {
				drop(filepath.Join(dsDir, sha))
			}
		}
	}
	artDir := filepath.Join(s.dataDir, "blobs", filepath.FromSlash(blob.ArtifactPrefix))
	ids := names(artDir, func(n string) (string, bool) { return n, n != "" && !strings.HasPrefix(n, ".") })
	modelDir := filepath.Join(s.dataDir, "models")
	models := names(modelDir, func(n string) (string, bool) {
		i := strings.LastIndexByte(n, '-')
		return n[:max(i, 0)], i > 0
	})
	all := keys(ids)
	for _, id := range models {
		all = append(all, id)
	}
	known, err := s.store.ExperimentIDs(ctx, all)
	if err != nil {
		return removed
	}
	for id := range ids {
		if !known[id] {
			drop(filepath.Join(artDir, id))
		}
	}
	for name, id := range models {
		if !known[id] {
			drop(filepath.Join(modelDir, name))
		}
	}
	return removed
}

// sweepObjectOrphans is sweepLocalOrphans for the object store of
// multinode mode. Listing a bucket can take a while, so it runs in the
// background once the server serves (Serve); datasets are checked again
// under the content lock, so an upload in flight keeps its object.
func (s *Server) sweepObjectOrphans(ctx context.Context) {
	if s.objects == nil {
		return
	}
	removed := 0
	infos, err := s.objects.List(ctx, blob.DatasetPrefix)
	if err != nil {
		s.log.Warn("object orphan sweep: list datasets", slog.Any("err", err))
		return
	}
	shas := make([]string, 0, len(infos))
	for _, in := range infos {
		shas = append(shas, strings.TrimPrefix(in.Key, blob.DatasetPrefix))
	}
	known, err := s.store.DatasetSHAs(ctx, shas)
	if err != nil {
		return
	}
	for _, sha := range shas {
		if known[sha] || !blob.ValidSHA256(sha) {
			continue
		}
		unlock := s.contents.lock(sha)
		again, err := s.store.DatasetSHAs(ctx, []string{sha})
		if err == nil && !again[sha] {
			if err := s.objects.Delete(ctx, blob.DatasetKey(sha)); err == nil {
				removed++
			}
		}
		unlock()
	}
	infos, err = s.objects.List(ctx, blob.ArtifactPrefix)
	if err != nil {
		s.log.Warn("object orphan sweep: list artifacts", slog.Any("err", err))
		return
	}
	byID := map[string][]string{}
	for _, in := range infos {
		rest := strings.TrimPrefix(in.Key, blob.ArtifactPrefix)
		if i := strings.IndexByte(rest, '/'); i > 0 {
			byID[rest[:i]] = append(byID[rest[:i]], in.Key)
		}
	}
	exp, err := s.store.ExperimentIDs(ctx, keys(byID))
	if err != nil {
		return
	}
	for id, objs := range byID {
		if exp[id] {
			continue
		}
		for _, k := range objs {
			if err := s.objects.Delete(ctx, k); err == nil {
				removed++
			}
		}
	}
	if removed > 0 {
		s.log.Info("orphan sweep removed objects no dataset or experiment names", slog.Int("objects", removed))
	}
}

// names maps the entries of dir that keep says to keep to the value it gives.
func names(dir string, keep func(string) (string, bool)) map[string]string {
	out := map[string]string{}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if v, ok := keep(e.Name()); ok {
			out[e.Name()] = v
		}
	}
	return out
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
