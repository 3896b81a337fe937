package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/drover-ml/drover/internal/blob"
	"github.com/drover-ml/drover/internal/errcode"
	"github.com/drover-ml/drover/internal/protocol"
	"github.com/drover-ml/drover/internal/store"
)

// Deletion removes the store row first (in one transaction with the check
// that allows it), then the files and objects. A crash in between leaves
// only files that no row names; the startup sweep removes those
// (sweepOrphans). Nobody ever sees a dataset or experiment that is half
// gone: either the row is there with all its files, or it is not there.

// objectTimeout bounds the object-store calls of one deletion, so that a
// MinIO that does not answer cannot hold a request: what is left is
// removed by the next startup sweep.
const objectTimeout = 30 * time.Second

// handleDeleteDataset deletes a dataset (its owner or an admin) unless a
// queued or running experiment uses it (409 dataset_in_use). Its file and
// object go too, unless another dataset row has the same content.
func (s *Server) handleDeleteDataset(w http.ResponseWriter, r *http.Request) {
	ctx, id, who := r.Context(), r.PathValue("id"), s.who(r)
	ds, err := s.store.GetDataset(ctx, id)
	if err == nil && !who.maySee(ds) {
		err = store.ErrNotFound
	}
	if err != nil {
		s.writeError(w, r, notFound(err, "dataset", id))
		return
	}
	if !who.mayAccess(datasetOwner(ds)) {
		s.writeError(w, r, apiErr(errcode.Forbidden, fmt.Sprintf("dataset %s is %s's (shared); only its owner or an admin may delete it", id, datasetOwner(ds))))
		return
	}
	// Held until the file is gone: an upload of the same content waits, and
	// then files its own copy (datasets.go).
	unlock := s.contents.lock(ds.SHA256)
	defer unlock()
	ds, shared, err := s.store.DeleteDataset(ctx, id)
	var inUse *store.InUseError
	switch {
	case errors.As(err, &inUse):
		s.writeError(w, r, datasetInUse(inUse, who))
		return
	case err != nil:
		s.writeError(w, r, notFound(err, "dataset", id))
		return
	}
	removed := 0
	if !shared {
		removed = s.removeDatasetFiles(context.WithoutCancel(ctx), ds.SHA256)
	}
	// The experiments that used it (all finished) say so in their log.
	if ids, err := s.store.ExperimentsOfDataset(ctx, id); err == nil {
		for _, eid := range ids {
			s.event(ctx, eid, protocol.Event{Type: protocol.EventLog, Level: "info",
				Message: fmt.Sprintf("dataset %s (%s) deleted by %s", id, ds.Name, who.Name), Actor: who.Name})
		}
	}
	s.log.Info("dataset deleted", slog.String("id", id), slog.String("name", ds.Name), slog.String("by", who.Name),
		slog.Bool("content_kept", shared), slog.Int("files_removed", removed))
	w.WriteHeader(http.StatusNoContent)
}

// datasetInUse is the 409 of a dataset that unfinished experiments use. It
// names only the experiments the caller may see.
func datasetInUse(e *store.InUseError, who principal) error {
	var mine []string
	for i, id := range e.IDs {
		if who.mayAccess(ownerOrAdmin(e.Owners[i])) && len(mine) < 10 {
			mine = append(mine, id)
		}
	}
	msg := fmt.Sprintf("dataset %s is used by %d queued or running experiment(s)", e.Dataset, e.Count)
	if len(mine) > 0 {
		msg += " (" + strings.Join(mine, ", ")
		if len(mine) < e.Count {
			msg += ", ..."
		}
		msg += ")"
	}
	return apiErr(errcode.DatasetInUse, msg+"; cancel them or wait until they finish, then delete it")
}

func ownerOrAdmin(owner string) string {
	if owner == "" {
		return BootstrapAdmin
	}
	return owner
}

// removeDatasetFiles removes the server's file of a dataset's content and,
// in multinode mode, its object; it returns how many it removed. Failures
// are logged: the startup sweep removes what is left.
func (s *Server) removeDatasetFiles(ctx context.Context, sha string) int {
	n := 0
	if err := os.Remove(s.datasetPath(sha)); err == nil {
		n++
	} else if !errors.Is(err, os.ErrNotExist) {
		s.log.Warn("remove dataset file; the startup sweep retries", slog.String("sha256", sha), slog.Any("err", err))
	}
	if s.objects != nil {
		ctx, cancel := context.WithTimeout(ctx, objectTimeout)
		defer cancel()
		key := blob.DatasetKey(sha)
		if _, err := s.objects.Stat(ctx, key); err == nil {
			if err := s.objects.Delete(ctx, key); err != nil {
				s.log.Warn("remove dataset object; the startup sweep retries", slog.String("key", key), slog.Any("err", err))
			} else {
				n++
			}
		}
	}
	return n
}

// handleDeleteExperiment deletes a finished experiment (its owner or an
// admin) with its events, attempts, artifacts and objects; 409 while it is
// queued or running (cancel it first).
func (s *Server) handleDeleteExperiment(w http.ResponseWriter, r *http.Request) {
	ctx, who := r.Context(), s.who(r)
	e, err := s.getExperiment(ctx, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if !e.Status.Terminal() {
		s.writeError(w, r, notFinished(e))
		return
	}
	e, err = s.store.DeleteExperiment(ctx, e.ID)
	switch {
	case errors.Is(err, store.ErrNotFinished):
		s.writeError(w, r, notFinished(e))
		return
	case err != nil:
		s.writeError(w, r, notFound(err, "experiment", r.PathValue("id")))
		return
	}
	removed := s.removeExperimentFiles(context.WithoutCancel(ctx), e.ID)
	s.log.Info("experiment deleted", slog.String("id", e.ID), slog.String("owner", ownerOf(e)), slog.String("by", who.Name),
		slog.String("status", string(e.Status)), slog.Int("files_removed", removed))
	w.WriteHeader(http.StatusNoContent)
}

func notFinished(e *store.Experiment) error {
	return apiErr(errcode.Conflict, fmt.Sprintf("experiment %s is %s; cancel it first, then delete it", e.ID, e.Status))
}

// removeExperimentFiles removes every file of an experiment: the attempts'
// outputs on the server's disk, downloaded models and, in multinode mode,
// its objects. It returns how many files (or directories) it removed.
func (s *Server) removeExperimentFiles(ctx context.Context, id string) int {
	n := 0
	if _, err := os.Stat(s.experimentDir(id)); err == nil {
		if err := os.RemoveAll(s.experimentDir(id)); err != nil {
			s.log.Warn("remove experiment files; the startup sweep retries", slog.String("experiment", id), slog.Any("err", err))
		} else {
			n++
		}
	}
	models, _ := filepath.Glob(filepath.Join(s.dataDir, "models", id+"-*"))
	for _, m := range models {
		if err := os.RemoveAll(m); err == nil {
			n++
		}
	}
	if s.objects != nil {
		ctx, cancel := context.WithTimeout(ctx, objectTimeout)
		defer cancel()
		n += s.deleteObjects(ctx, blob.ArtifactPrefix+id+"/")
	}
	return n
}

// deleteObjects deletes every object under prefix and returns how many.
func (s *Server) deleteObjects(ctx context.Context, prefix string) int {
	infos, err := s.objects.List(ctx, prefix)
	if err != nil {
		s.log.Warn("list objects to delete; the startup sweep retries", slog.String("prefix", prefix), slog.Any("err", err))
		return 0
	}
	n := 0
	for _, in := range infos {
		if err := s.objects.Delete(ctx, in.Key); err != nil {
			s.log.Warn("delete object; the startup sweep retries", slog.String("key", in.Key), slog.Any("err", err))
			continue
		}
		n++
	}
	return n
}

// contentLocks serialises, per dataset content (SHA-256), filing an
// upload (file in place, then its row) against deleting the last row that
// names the content (row, then file), and against the sweep. Without it a
// delete could remove the file an upload of the same bytes has just found
// in place. The zero value is ready.
type contentLocks struct {
	mu sync.Mutex
	m  map[string]*contentLock
}

type contentLock struct {
	mu   sync.Mutex
	refs int
}

// lock locks sha's content and returns the unlock.
func (c *contentLocks) lock(sha string) (unlock func()) {
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]*contentLock{}
	}
	l := c.m[sha]
	if l == nil {
		l = &contentLock{}
		c.m[sha] = l
	}
	l.refs++
	c.mu.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		c.mu.Lock()
		if l.refs--; l.refs == 0 {
			delete(c.m, sha)
		}
		c.mu.Unlock()
	}
}
