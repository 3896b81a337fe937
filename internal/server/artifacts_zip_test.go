package server_test

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/drover-ml/drover/api"
)

// GET .../artifacts.zip holds every artifact the list names, each byte for
// byte as its own download gives it; before success it answers 409.
func TestArtifactsZip(t *testing.T) {
	h := start(t, newConfig(t))
	ds := h.upload(examples("iris.csv"))
	e := h.wait(h.create(api.Spec{DatasetID: ds.ID, Target: "species", Accuracy: 1, Time: 1, Seed: 1}).ID)
	if e.Status != api.StatusSucceeded {
		t.Fatalf("experiment %s: %+v", e.Status, e.Error)
	}
	res, err := http.Get(h.srv.URL() + "/api/v1/experiments/" + e.ID + "/artifacts.zip")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/zip" {
		t.Fatalf("zip: %d %s: %.200s", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatalf("not a zip archive: %v", err)
	}
	arts, err := h.cl.Artifacts(context.Background(), e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(zr.File) != len(arts) {
		t.Fatalf("zip has %d files, the list %d", len(zr.File), len(arts))
	}
	inZip := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		inZip[f.Name] = b
	}
	for _, a := range arts {
		got, ok := inZip[e.ID+"/"+a.Name]
		if !ok {
			t.Fatalf("zip lacks %s/%s (has %d files)", e.ID, a.Name, len(inZip))
		}
		var want bytes.Buffer
		if err := h.cl.DownloadArtifact(context.Background(), e.ID, a.Name, &want); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want.Bytes()) {
			t.Errorf("%s: %d bytes in the zip, %d downloaded, or different content", a.Name, len(got), want.Len())
		}
	}

	// A queued experiment has no artifacts yet.
	q := h.create(api.Spec{DatasetID: ds.ID, Target: "species", Accuracy: 1, Time: 10})
	res, err = http.Get(h.srv.URL() + "/api/v1/experiments/" + q.ID + "/artifacts.zip")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusConflict {
		t.Fatalf("zip of an unfinished experiment: %d", res.StatusCode)
	}
	if _, err := h.cl.CancelExperiment(context.Background(), q.ID); err != nil {
		t.Fatal(err)
	}
}
