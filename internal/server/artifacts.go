package server

import (
	"context"
	"errors"
	"fmt"
	"github.com/drover-ml/drover/internal/errcode"
	"github.com/drover-ml/drover/internal/protocol"
	"github.com/drover-ml/drover/internal/store"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/drover-ml/drover/api"
	"github.com/drover-ml/drover/internal/blob"
	"github.com/drover-ml/drover/internal/engine"
)

// artifactStore is where the artifacts of an experiment live: the object
// store in multinode mode, the server's own directory otherwise.
func (s *Server) artifactStore() blob.Store {
	if s.objects != nil {
		return s.objects
	}
	return s.blobs
}

// succeeded returns the experiment when it succeeded; only the attempt that
// succeeded has artifacts anyone may read.
func (s *Server) succeeded(ctx context.Context, id string) (*store.Experiment, error) {
	e, err := s.getExperiment(ctx, id)
	if err != nil {
		return nil, err
	}
	if e.Status != protocol.StatusSucceeded {
		return nil, apiErr(errcode.NotSucceeded, fmt.Sprintf("experiment %s is %s; artifacts exist once it has succeeded", id, e.Status))
	}
	return e, nil
}

func (s *Server) handleListArtifacts(w http.ResponseWriter, r *http.Request) {
	e, err := s.succeeded(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	prefix := blob.ArtifactKey(e.ID, e.Attempt, "")
	infos, err := s.artifactStore().List(r.Context(), prefix)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]api.Artifact, 0, len(infos))
	for _, in := range infos {
		out = append(out, api.Artifact{Name: strings.TrimPrefix(in.Key, prefix), Size: in.Size})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleGetArtifact(w http.ResponseWriter, r *http.Request) {
	e, err := s.succeeded(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	name := r.PathValue("name")
	key := blob.ArtifactKey(e.ID, e.Attempt, name)
	if strings.Contains(name, "..") || blob.ValidateKey(key) != nil {
		s.writeError(w, r, apiErr(errcode.BadName, fmt.Sprintf("bad artifact name %q", name)))
		return
	}
	rc, size, err := s.artifactStore().Get(r.Context(), key)
	if errors.Is(err, blob.ErrNotFound) {
		s.writeError(w, r, apiErr(errcode.NotFound, fmt.Sprintf("experiment %s has no artifact %q", e.ID, name)))
		return
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer rc.Close()
	ct := "application/octet-stream"
	switch path.Ext(name) {
	case ".json":
		ct = "application/json"
	case ".csv":
		ct = "text/csv"
	case ".log", ".txt":
		ct = "text/plain; charset=utf-8"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", path.Base(name)))
	_, _ = io.Copy(w, rc)
}

// modelDir returns a local directory holding the experiment's model,
// downloading it from the object store when needed.
func (s *Server) modelDir(ctx context.Context, e *store.Experiment) (string, error) {
	prefix := blob.ArtifactKey(e.ID, e.Attempt, "model/")
	if s.objects == nil {
		return filepath.Join(s.attemptDir(e.ID, e.Attempt), "model"), nil
	}
	dir := filepath.Join(s.dataDir, "models", fmt.Sprintf("%s-%d", e.ID, e.Attempt))
	if _, err := os.Stat(filepath.Join(dir, ".complete")); err == nil {
		return dir, nil
	}
	infos, err := s.objects.List(ctx, prefix)
	if err != nil {
		return "", err
	}
	tmp := dir + ".tmp"
	os.RemoveAll(tmp)
	for _, in := range infos {
		rel := strings.TrimPrefix(in.Key, prefix)
		dst := filepath.Join(tmp, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return "", err
		}
		if err := download(ctx, s.objects, in.Key, dst); err != nil {
			return "", err
		}
	}
	if err := os.WriteFile(filepath.Join(tmp, ".complete"), nil, 0o644); err != nil {
		return "", err
	}
	os.RemoveAll(dir)
	return dir, os.Rename(tmp, dir)
}

func download(ctx context.Context, st blob.Store, key, dst string) error {
	rc, _, err := st.Get(ctx, key)
	if err != nil {
		return err
	}
	defer rc.Close()
	f, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, rc); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// handlePredict scores the CSV in the request body with the experiment's
// model and answers with a CSV of predictions.
func (s *Server) handlePredict(w http.ResponseWriter, r *http.Request) {
	s.predicting.Add(1)
	defer s.predicting.Add(-1)
	ctx := r.Context()
	var opts engine.PredictOptions
	if v := r.URL.Query().Get("explain"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			s.writeError(w, r, apiErr(errcode.BadRequest, "explain must be true or false, not "+strconv.Quote(v)))
			return
		}
		opts.Explain = b
	}
	e, err := s.succeeded(ctx, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if e.Spec.Command != "" {
		s.writeError(w, r, apiErr(errcode.NoModel, "command experiments have no drover model to predict with"))
		return
	}
	dir, err := s.modelDir(ctx, e)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if !s.uploads.take() {
		s.writeError(w, r, errBusy(w, cap(s.uploads)))
		return
	}
	defer s.uploads.give()
	tmpDir := filepath.Join(s.dataDir, "tmp")
	_ = os.MkdirAll(tmpDir, 0o755)
	limit := int64(s.cfg.MaxPredictSizeMB) << 20
	if r.ContentLength > limit {
		s.writeError(w, r, errTooLarge(limit).apiError("the predict body", "max_predict_size_mb"))
		return
	}
	if err := checkDisk(tmpDir, max(r.ContentLength, 0)); err != nil {
		s.writeError(w, r, err)
		return
	}
	in, err := os.CreateTemp(tmpDir, "predict-in-*.csv")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer os.Remove(in.Name())
	guard := newUploadGuard(w, r, limit, tmpDir)
	if _, err := io.Copy(in, &sniffer{r: guard}); err != nil {
		in.Close()
		var tl *errTooLargeT
		if errors.As(err, &tl) {
			s.writeError(w, r, tl.apiError("the predict body", "max_predict_size_mb"))
			return
		}
		s.writeError(w, r, uploadError(err, limit))
		return
	}
	guard.done()
	in.Close()
	outPath := in.Name() + ".out"
	defer os.Remove(outPath)
	if _, err := engine.PredictFileWith(ctx, dir, in.Name(), outPath, opts); err != nil {
		s.writeError(w, r, err)
		return
	}
	f, err := os.Open(outPath)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", "text/csv")
	_, _ = io.Copy(w, f)
}
