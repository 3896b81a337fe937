package server

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/drover-ml/drover/internal/blob"
	"github.com/drover-ml/drover/internal/engine/frame"
	"github.com/drover-ml/drover/internal/store"
)

// newID returns a short random identifier with a prefix ("ds", "ex").
func newID(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return prefix + "_" + hex.EncodeToString(b[:])
}

// cleanName keeps only the base name of an uploaded file, so a name can
// never point anywhere; it is a label, never used as a path.
func cleanName(name string) string {
	name = strings.ReplaceAll(name, "\\", "/")
	name = filepath.Base(filepath.Clean("/" + name))
	if name == "/" || name == "." {
		return ""
	}
	return cleanLabel(name, 200)
}

// handleUploadDataset streams an upload to disk while hashing it, checks it
// is a CSV drover can read, then files it under its SHA-256. The body is
// either the raw file (name in ?name=) or multipart/form-data with a "file"
// part. Memory use does not depend on the file's size.
func (s *Server) handleUploadDataset(w http.ResponseWriter, r *http.Request) {
	body, name, err := uploadBody(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	tmpDir := filepath.Join(s.dataDir, "tmp")
	if err := os.MkdirAll(tmpDir, 0o755); err != nil {
		s.writeError(w, r, fmt.Errorf("create upload directory: %w", err))
		return
	}
	tmp, err := os.CreateTemp(tmpDir, "upload-*")
	if err != nil {
		s.writeError(w, r, fmt.Errorf("create upload file: %w", err))
		return
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	h := sha256.New()
	size, err := io.Copy(io.MultiWriter(tmp, h), body)
	if err != nil {
		s.writeError(w, r, apiErr(http.StatusBadRequest, "upload_failed", "upload interrupted: "+err.Error()))
		return
	}
	if size == 0 {
		s.writeError(w, r, apiErr(http.StatusBadRequest, "empty_file", "the uploaded file is empty"))
		return
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		s.writeError(w, r, err)
		return
	}
	cols, rows, err := frame.Inspect(tmp)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := tmp.Close(); err != nil {
		s.writeError(w, r, err)
		return
	}
	dest := s.datasetPath(sum)
	if _, err := os.Stat(dest); err != nil {
		if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
			s.writeError(w, r, err)
			return
		}
		if err := os.Rename(tmp.Name(), dest); err != nil {
			s.writeError(w, r, fmt.Errorf("file dataset: %w", err))
			return
		}
	}
	if name == "" {
		name = sum[:12] + ".csv"
	}
	ds := &store.Dataset{ID: newID("ds"), Name: name, SHA256: sum, Size: size, Rows: rows, Columns: storeColumns(cols), CreatedAt: time.Now().UTC()}
	if err := s.publishDataset(r.Context(), ds); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.store.CreateDataset(r.Context(), ds); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.log.Info("dataset uploaded", "id", ds.ID, "name", ds.Name, "rows", rows, "bytes", size)
	writeJSON(w, http.StatusCreated, apiDataset(ds))
}

func uploadBody(r *http.Request) (io.Reader, string, error) {
	ct, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "multipart/form-data" && params["boundary"] != "" {
		mr, err := r.MultipartReader()
		if err != nil {
			return nil, "", apiErr(http.StatusBadRequest, CodeBadRequest, "bad multipart body: "+err.Error())
		}
		for {
			part, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				return nil, "", apiErr(http.StatusBadRequest, CodeBadRequest, `multipart body has no "file" part`)
			}
			if err != nil {
				return nil, "", apiErr(http.StatusBadRequest, CodeBadRequest, "bad multipart body: "+err.Error())
			}
			if part.FormName() == "file" {
				name := cleanName(r.URL.Query().Get("name"))
				if name == "" {
					name = cleanName(part.FileName())
				}
				return part, name, nil
			}
		}
	}
	return r.Body, cleanName(r.URL.Query().Get("name")), nil
}

func (s *Server) handleListDatasets(w http.ResponseWriter, r *http.Request) {
	list, err := s.store.ListDatasets(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, apiDatasets(list))
}

func (s *Server) handleGetDataset(w http.ResponseWriter, r *http.Request) {
	ds, err := s.store.GetDataset(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, notFound(err, "dataset", r.PathValue("id")))
		return
	}
	writeJSON(w, http.StatusOK, apiDataset(ds))
}

// notFound names what was not found.
func notFound(err error, what, id string) error {
	if errors.Is(err, store.ErrNotFound) {
		return apiErr(http.StatusNotFound, CodeNotFound, fmt.Sprintf("no %s with id %q", what, id))
	}
	return err
}

// publishDataset makes a dataset reachable by remote workers: in multinode
// mode it is copied to the object store under its content key (once).
func (s *Server) publishDataset(ctx context.Context, ds *store.Dataset) error {
	if s.objects == nil {
		return nil
	}
	if _, _, err := blob.PutDataset(ctx, s.objects, s.datasetPath(ds.SHA256)); err != nil {
		return apiErr(http.StatusServiceUnavailable, CodeUnavailable, "copy dataset to the object store: "+err.Error())
	}
	return nil
}
