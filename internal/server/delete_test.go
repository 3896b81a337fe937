package server_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/drover-ml/drover/api"
	"github.com/drover-ml/drover/internal/store"
)

// exists reports whether path is there.
func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func datasetFile(cfg string, sha string) string {
	return filepath.Join(cfg, "blobs", "datasets", "sha256", sha)
}

func experimentFiles(cfg string, id string) string {
	return filepath.Join(cfg, "blobs", "artifacts", id)
}

// DELETE of datasets and experiments: refused while in use or unfinished,
// others' objects answer 404, a shared dataset may be deleted only by its
// owner or an admin, files go with the last row that names them, and the
// experiments that used a deleted dataset say so in their log.
func TestDeleteDatasetsAndExperiments(t *testing.T) {
	cfg := commandConfig(t)
	cfg.APIToken = "root-token-for-tests"
	h := start(t, cfg)
	ctx := context.Background()
	admin := h.cl
	at, err := admin.CreateUser(ctx, "alice", false)
	if err != nil {
		t.Fatal(err)
	}
	bt, err := admin.CreateUser(ctx, "bob", false)
	if err != nil {
		t.Fatal(err)
	}
	alice, bob := api.NewClient(h.srv.URL(), at.Token), api.NewClient(h.srv.URL(), bt.Token)
	ds, err := alice.UploadDataset(ctx, examples("iris.csv"), nil)
	if err != nil {
		t.Fatal(err)
	}
	// The admin uploads the same bytes: one file, two rows.
	adminDS := h.upload(examples("iris.csv"))
	file := datasetFile(cfg.DataDirectory, ds.SHA256)
	if adminDS.SHA256 != ds.SHA256 || !exists(file) {
		t.Fatalf("same content: %s vs %s, file there: %v", adminDS.SHA256, ds.SHA256, exists(file))
	}

	gateFile := filepath.Join(t.TempDir(), "go")
	gate := "echo ran > $DROVER_OUTPUT_DIR/out.txt; while [ ! -f " + gateFile + " ]; do sleep 0.05; done"
	e, err := alice.CreateExperiment(ctx, api.Spec{DatasetID: ds.ID, Command: gate})
	if err != nil {
		t.Fatal(err)
	}
	h.waitStatus(e.ID, api.StatusRunning)
	if err := alice.DeleteDataset(ctx, ds.ID); apiCode(err) != "dataset_in_use" || err.(*api.Error).Status != 409 {
		t.Fatalf("delete a dataset a running experiment uses: %v, want 409 dataset_in_use", err)
	}
	if err := alice.DeleteExperiment(ctx, e.ID); apiCode(err) != "conflict" {
		t.Fatalf("delete a running experiment: %v, want conflict", err)
	}
	if err := bob.DeleteExperiment(ctx, e.ID); apiCode(err) != "not_found" {
		t.Fatalf("bob deletes alice's experiment: %v, want not_found", err)
	}
	if err := bob.DeleteDataset(ctx, ds.ID); apiCode(err) != "not_found" {
		t.Fatalf("bob deletes alice's dataset: %v, want not_found", err)
	}
	if err := os.WriteFile(gateFile, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if got := h.wait(e.ID); got.Status != api.StatusSucceeded {
		t.Fatalf("experiment %s: %+v", got.Status, got.Error)
	}
	dir := experimentFiles(cfg.DataDirectory, e.ID)
	if !exists(dir) {
		t.Fatalf("no artifacts at %s before the delete", dir)
	}

	// A second finished experiment keeps its history when its dataset goes.
	other, err := alice.CreateExperiment(ctx, api.Spec{DatasetID: ds.ID, Command: "true"})
	if err != nil {
		t.Fatal(err)
	}
	h.wait(other.ID)

	if err := alice.DeleteExperiment(ctx, e.ID); err != nil {
		t.Fatalf("delete a finished experiment: %v", err)
	}
	if exists(dir) {
		t.Errorf("artifacts of the deleted experiment still at %s", dir)
	}
	if _, err := alice.GetExperiment(ctx, e.ID); apiCode(err) != "not_found" {
		t.Errorf("deleted experiment: %v, want not_found", err)
	}
	if _, err := admin.Events(ctx, e.ID, 0); apiCode(err) != "not_found" {
		t.Errorf("events of the deleted experiment: %v, want not_found", err)
	}
	if err := alice.DeleteExperiment(ctx, e.ID); apiCode(err) != "not_found" {
		t.Errorf("second delete: %v, want not_found", err)
	}

	// Shared: bob sees it and may use it, but not delete it.
	if _, err := alice.ShareDataset(ctx, ds.ID); err != nil {
		t.Fatal(err)
	}
	if err := bob.DeleteDataset(ctx, ds.ID); apiCode(err) != "forbidden" {
		t.Errorf("bob deletes alice's shared dataset: %v, want forbidden", err)
	}
	if err := alice.DeleteDataset(ctx, ds.ID); err != nil {
		t.Fatalf("alice deletes her dataset: %v", err)
	}
	if _, err := alice.GetDataset(ctx, ds.ID); apiCode(err) != "not_found" {
		t.Errorf("deleted dataset: %v", err)
	}
	if !exists(file) {
		t.Errorf("the file went with alice's row, but the admin's dataset has the same content")
	}
	if _, err := alice.CreateExperiment(ctx, api.Spec{DatasetID: ds.ID, Command: "true"}); apiCode(err) != "dataset_not_found" {
		t.Errorf("experiment on a deleted dataset: %v, want dataset_not_found", err)
	}
	evs, err := alice.Events(ctx, other.ID, 0)
	if err != nil || len(evs) == 0 || evs[len(evs)-1].Message != "dataset "+ds.ID+" (iris.csv) deleted by alice" {
		t.Errorf("events of an experiment whose dataset was deleted: %+v %v", evs, err)
	}

	// The admin may delete anyone's; the last row takes the file with it.
	bds, err := bob.UploadDataset(ctx, examples("iris.csv"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := admin.DeleteDataset(ctx, bds.ID); err != nil {
		t.Fatalf("admin deletes bob's dataset: %v", err)
	}
	if err := admin.DeleteExperiment(ctx, other.ID); err != nil {
		t.Fatalf("admin deletes alice's experiment: %v", err)
	}
	if err := admin.DeleteDataset(ctx, adminDS.ID); err != nil {
		t.Fatal(err)
	}
	if exists(file) {
		t.Errorf("dataset file %s still there after the last row naming it went", file)
	}
	if err := admin.DeleteDataset(ctx, "ds_nope"); apiCode(err) != "not_found" {
		t.Errorf("delete of an unknown dataset: %v", err)
	}
	h.stillServing()
}

// A delete cut short by a crash after the row went leaves files no row
// names; the next start removes them. The crash is the store's rows
// removed with the server stopped, exactly what the delete does first.
func TestStartupSweepRemovesOrphans(t *testing.T) {
	cfg := commandConfig(t)
	h := start(t, cfg)
	ds := h.upload(examples("iris.csv"))
	keep := h.upload(examples("pima_diabetes.csv"))
	e := h.create(api.Spec{DatasetID: ds.ID, Command: "echo x > $DROVER_OUTPUT_DIR/out.txt"})
	kept := h.create(api.Spec{DatasetID: keep.ID, Command: "echo x > $DROVER_OUTPUT_DIR/out.txt"})
	h.wait(e.ID)
	h.wait(kept.ID)
	h.srv.Stop()

	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(cfg.DataDirectory, "drover.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.DeleteExperiment(ctx, e.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.DeleteDataset(ctx, ds.ID); err != nil {
		t.Fatal(err)
	}
	st.Close()
	models := filepath.Join(cfg.DataDirectory, "models", e.ID+"-1")
	if err := os.MkdirAll(models, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{datasetFile(cfg.DataDirectory, ds.SHA256), experimentFiles(cfg.DataDirectory, e.ID)} {
		if !exists(p) {
			t.Fatalf("%s missing before the restart", p)
		}
	}

	h = start(t, cfg)
	for _, p := range []string{datasetFile(cfg.DataDirectory, ds.SHA256), experimentFiles(cfg.DataDirectory, e.ID), models} {
		if exists(p) {
			t.Errorf("orphan %s survived the startup sweep", p)
		}
	}
	for _, p := range []string{datasetFile(cfg.DataDirectory, keep.SHA256), experimentFiles(cfg.DataDirectory, kept.ID)} {
		if !exists(p) {
			t.Errorf("%s (still named by a row) removed by the sweep", p)
		}
	}
	if got, err := h.cl.GetExperiment(ctx, kept.ID); err != nil || got.Status != api.StatusSucceeded {
		t.Errorf("kept experiment: %+v %v", got, err)
	}
}
