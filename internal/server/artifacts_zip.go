package server

import (
	"archive/zip"
	"fmt"
	"io"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/drover-ml/drover/internal/blob"
)

// handleArtifactsZip streams every artifact of a succeeded experiment as
// one zip archive (GET /api/v1/experiments/{id}/artifacts.zip). Files are
// read from the artifact store one at a time and written straight into the
// response, so the server holds no copy of the archive, whatever its size.
// Entries sit under a folder named after the experiment.
//
// Once the first byte is sent the status cannot change: a store error in
// the middle aborts the connection, so the client sees a broken download
// rather than a complete-looking archive that lacks files.
func (s *Server) handleArtifactsZip(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	e, err := s.succeeded(ctx, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	prefix := blob.ArtifactKey(e.ID, e.Attempt, "")
	infos, err := s.artifactStore().List(ctx, prefix)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", e.ID+"-artifacts.zip"))
	zw := zip.NewWriter(w)
	modified := time.Now()
	if e.FinishedAt != nil {
		modified = *e.FinishedAt
	}
	for _, in := range infos {
		name := strings.TrimPrefix(in.Key, prefix)
		hdr := &zip.FileHeader{Name: path.Join(e.ID, name), Method: zip.Deflate, Modified: modified}
		fw, err := zw.CreateHeader(hdr)
		if err == nil {
			err = s.copyArtifact(r, in.Key, fw)
		}
		if err != nil {
			s.log.Warn("artifacts zip: aborted", "experiment", e.ID, "artifact", name, "err", err)
			panic(http.ErrAbortHandler)
		}
	}
	if err := zw.Close(); err != nil {
		s.log.Warn("artifacts zip: close", "experiment", e.ID, "err", err)
	}
}

// copyArtifact copies one stored artifact into w.
func (s *Server) copyArtifact(r *http.Request, key string, w io.Writer) error {
	rc, _, err := s.artifactStore().Get(r.Context(), key)
	if err != nil {
		return err
	}
	defer rc.Close()
	_, err = io.Copy(w, rc)
	return err
}
