package server

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/drover-ml/drover/internal/errcode"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/drover-ml/drover/api"
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
	// Removing control characters may leave "." or ".." ("..\x14").
	if name = cleanLabel(name, 200); name == "." || name == ".." {
		return ""
	}
	return name
}

// handleUploadDataset streams an upload to disk while hashing it, checks it
// is a CSV drover can read, then files it under its SHA-256. The body is
// either the raw file (name in ?name=) or multipart/form-data with a "file"
// part. Memory use does not depend on the file's size.
func (s *Server) handleUploadDataset(w http.ResponseWriter, r *http.Request) {
	if !s.uploads.take() {
		s.writeError(w, r, errBusy(w, cap(s.uploads)))
		return
	}
	defer s.uploads.give()
	tmpDir := filepath.Join(s.dataDir, "tmp")
	if err := os.MkdirAll(tmpDir, 0o755); err != nil {
		s.writeError(w, r, fmt.Errorf("create upload directory: %w", err))
		return
	}
	limit := int64(s.cfg.MaxUploadSizeMB) << 20
	if r.ContentLength > limit {
		s.writeError(w, r, errTooLarge(limit).apiError("the upload", "max_upload_size_mb"))
		return
	}
	if err := checkDisk(tmpDir, max(r.ContentLength, 0)); err != nil {
		s.writeError(w, r, err)
		return
	}
	guard := newUploadGuard(w, r, limit, tmpDir)
	r.Body = struct {
		io.Reader
		io.Closer
	}{guard, r.Body}
	body, name, err := uploadBody(r)
	if err != nil {
		s.writeError(w, r, uploadError(err, limit))
		return
	}
	tmp, err := os.CreateTemp(tmpDir, "upload-*")
	if err != nil {
		s.writeError(w, r, fmt.Errorf("create upload file: %w", err))
		return
	}
	defer removeTemp(tmp)
	h := sha256.New()
	size, err := io.Copy(io.MultiWriter(tmp, h), &sniffer{r: body})
	if err != nil {
		s.writeError(w, r, uploadError(err, limit))
		return
	}
	guard.done()
	if size == 0 {
		s.writeError(w, r, apiErr(errcode.EmptyFile, "the uploaded file is empty"))
		return
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if err := s.checkColumns(tmp); err != nil {
		s.writeError(w, r, err)
		return
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		s.writeError(w, r, err)
		return
	}
	cols, rows, err := frame.Inspect(tmp)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if len(cols) > s.cfg.MaxColumns {
		s.writeError(w, r, tooManyColumns(len(cols), s.cfg.MaxColumns))
		return
	}
	if err := tmp.Close(); err != nil {
		s.writeError(w, r, err)
		return
	}
	// Until the row is stored, no delete of the same content may remove
	// the file (delete.go).
	unlock := s.contents.lock(sum)
	defer unlock()
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
	// The same file uploaded again under the same name by the same user is
	// the dataset it already has: one row, not a second that lists twice.
	if ds, err := s.store.SameUpload(r.Context(), s.who(r).Name, BootstrapAdmin, name, sum); err == nil {
		if err := s.publishDataset(r.Context(), ds); err != nil {
			s.writeError(w, r, err)
			return
		}
		s.log.Info("dataset uploaded again", "id", ds.ID, "name", ds.Name)
		writeJSON(w, http.StatusOK, apiDataset(ds))
		return
	} else if !errors.Is(err, store.ErrNotFound) {
		s.writeError(w, r, err)
		return
	}
	ds := &store.Dataset{ID: newID("ds"), Name: name, SHA256: sum, Size: size, Rows: rows, Columns: storeColumns(cols), CreatedAt: time.Now().UTC(),
		Owner: s.who(r).Name}
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

// uploadError names why reading an upload stopped.
func uploadError(err error, limit int64) error {
	var tl *errTooLargeT
	var ae *api.Error
	switch {
	case errors.As(err, &tl):
		return tl.apiError("the upload", "max_upload_size_mb")
	case errors.As(err, &ae):
		return ae
	}
	return apiErr(errcode.UploadFailed, "upload interrupted: "+err.Error())
}

// checkColumns counts the header's fields before the whole file is
// inspected, so a million-column file costs no more than reading its
// first line.
func (s *Server) checkColumns(f *os.File) error {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	cr := csv.NewReader(bufio.NewReaderSize(f, 64<<10))
	cr.FieldsPerRecord, cr.LazyQuotes, cr.ReuseRecord = -1, true, true
	rec, err := cr.Read()
	if err != nil {
		return nil // frame.Inspect names what is wrong
	}
	if len(rec) > s.cfg.MaxColumns {
		return tooManyColumns(len(rec), s.cfg.MaxColumns)
	}
	return nil
}

func tooManyColumns(n, limit int) error {
	return apiErr(errcode.TooManyColumns,
		fmt.Sprintf("the dataset has %d columns; this server takes at most %d (max_columns)", n, limit))
}

func uploadBody(r *http.Request) (io.Reader, string, error) {
	ct, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "multipart/form-data" && params["boundary"] != "" {
		mr, err := r.MultipartReader()
		if err != nil {
			return nil, "", apiErr(errcode.BadRequest, "bad multipart body: "+err.Error())
		}
		for {
			part, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				return nil, "", apiErr(errcode.BadRequest, `multipart body has no "file" part`)
			}
			if err != nil {
				return nil, "", apiErr(errcode.BadRequest, "bad multipart body: "+err.Error())
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

func (s *Server) handleGetDataset(w http.ResponseWriter, r *http.Request) {
	ds, err := s.store.GetDataset(r.Context(), r.PathValue("id"))
	if err == nil && !s.who(r).maySee(ds) {
		err = store.ErrNotFound
	}
	if err != nil {
		s.writeError(w, r, notFound(err, "dataset", r.PathValue("id")))
		return
	}
	writeJSON(w, http.StatusOK, apiDataset(ds))
}

// handleShareDataset lets every user see and use a dataset (its owner or
// an admin may share it).
func (s *Server) handleShareDataset(w http.ResponseWriter, r *http.Request) {
	id, who := r.PathValue("id"), s.who(r)
	ds, err := s.store.GetDataset(r.Context(), id)
	if err == nil && !who.mayAccess(datasetOwner(ds)) {
		err = store.ErrNotFound
	}
	if err == nil {
		ds, err = s.store.ShareDataset(r.Context(), id)
	}
	if err != nil {
		s.writeError(w, r, notFound(err, "dataset", id))
		return
	}
	s.log.Info("dataset shared", "id", id, "by", who.Name)
	writeJSON(w, http.StatusOK, apiDataset(ds))
}

// notFound names what was not found.
func notFound(err error, what, id string) error {
	if errors.Is(err, store.ErrNotFound) {
		return apiErr(errcode.NotFound, fmt.Sprintf("no %s with id %q", what, id))
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
		return apiErr(errcode.Unavailable, "copy dataset to the object store: "+err.Error())
	}
	return nil
}
