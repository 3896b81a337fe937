package server_test

import (
	"os"
	"path/filepath"
	"testing"
)

// What a server killed with SIGKILL during an upload, a blob write and a
// model download leaves behind is removed at the next start; finished
// datasets stay.
func TestStartupSweep(t *testing.T) {
	cfg := newConfig(t)
	h := start(t, cfg)
	ds := h.upload(examples("iris.csv"))
	h.srv.Stop()

	dir := cfg.DataDirectory
	leftovers := []string{
		filepath.Join(dir, "tmp", "upload-123456"),
		filepath.Join(dir, "tmp", "predict-in-99.csv"),
		filepath.Join(dir, "blobs", "datasets", ".put-777"),
		filepath.Join(dir, "models", "ex_1-1.tmp", "model", "part"),
	}
	for _, p := range leftovers {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, make([]byte, 4096), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	h = start(t, cfg)
	for _, p := range leftovers {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s survived the restart", p)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "models", "ex_1-1.tmp")); err == nil {
		t.Error("the half-downloaded model directory survived the restart")
	}
	if got, err := h.cl.GetDataset(t.Context(), ds.ID); err != nil || got.SHA256 != ds.SHA256 {
		t.Fatalf("the finished dataset after the sweep: %v %v", got, err)
	}
	h.stillServing()
}
