package e2e

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/drover-ml/drover/api"
	"github.com/drover-ml/drover/internal/testutil"
)

// objectKeys lists the keys under prefix in the server's bucket.
func objectKeys(t *testing.T, m *testutil.MinIO, prefix string) []string {
	t.Helper()
	var out []string
	for o := range m.Client().ListObjects(context.Background(), "drover", minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if o.Err != nil {
			t.Fatalf("list %s: %v", prefix, o.Err)
		}
		out = append(out, o.Key)
	}
	return out
}

// Multinode, real Redis, MinIO, server and worker processes: deleting a
// finished experiment removes its objects, deleting a dataset removes its
// object (refused while an experiment runs on it), and objects no row
// names (a delete cut short by a crash) go at the next start.
func TestMultinodeDeleteRemovesObjects(t *testing.T) {
	needMinIO(t)
	m := testutil.StartMinIO(t)
	c := newCluster(t, nil,
		"DROVER_WORKER_MODE=multinode",
		"DROVER_LOCAL_MINIO_PORT=0",
		"DROVER_MAIN_SERVER_MINIO_ADDRESS="+m.Endpoint(),
		"DROVER_MAIN_SERVER_MINIO_ACCESS_KEY_ID="+m.AccessKey(),
		"DROVER_MAIN_SERVER_MINIO_SECRET_ACCESS_KEY="+m.SecretKey(),
		allowCommands,
	)
	c.startWorker("remote")
	c.workersOnline(1)
	ctx := context.Background()
	ds := c.dataset()
	dsKey := "datasets/sha256/" + ds.SHA256
	if keys := objectKeys(t, m, dsKey); len(keys) != 1 {
		t.Fatalf("dataset object after upload: %v", keys)
	}
	gate := c.srvDir + "/go"
	e := c.create(api.Spec{DatasetID: ds.ID, Command: "echo out > $DROVER_OUTPUT_DIR/out.txt; while [ ! -f " + gate + " ]; do sleep 0.05; done"})
	c.waitStatus(e.ID, time.Minute, api.StatusRunning)
	if err := c.cl.DeleteDataset(ctx, ds.ID); apiCode(err) != "dataset_in_use" {
		t.Fatalf("delete a dataset in use: %v, want dataset_in_use", err)
	}
	if err := c.cl.DeleteExperiment(ctx, e.ID); apiCode(err) != "conflict" {
		t.Fatalf("delete a running experiment: %v, want conflict", err)
	}
	writeFile(t, gate)
	if got := c.waitStatus(e.ID, time.Minute, api.StatusSucceeded, api.StatusFailed); got.Status != api.StatusSucceeded {
		t.Fatalf("experiment %s: %+v", got.Status, got.Error)
	}
	artPrefix := "artifacts/" + e.ID + "/"
	if keys := objectKeys(t, m, artPrefix); len(keys) == 0 {
		t.Fatalf("no artifact objects under %s", artPrefix)
	}
	if err := c.cl.DeleteExperiment(ctx, e.ID); err != nil {
		t.Fatalf("delete the finished experiment: %v", err)
	}
	if keys := objectKeys(t, m, artPrefix); len(keys) != 0 {
		t.Errorf("objects of the deleted experiment left: %v", keys)
	}
	if err := c.cl.DeleteDataset(ctx, ds.ID); err != nil {
		t.Fatalf("delete the dataset: %v", err)
	}
	if keys := objectKeys(t, m, dsKey); len(keys) != 0 {
		t.Errorf("dataset object left: %v", keys)
	}

	// Orphans: objects no row names, as a crash between the row and the
	// objects leaves them; one experiment and its dataset that stay.
	kept := c.dataset()
	ke := c.create(api.Spec{DatasetID: kept.ID, Command: "echo out > $DROVER_OUTPUT_DIR/out.txt"})
	if got := c.waitStatus(ke.ID, time.Minute, api.StatusSucceeded, api.StatusFailed); got.Status != api.StatusSucceeded {
		t.Fatalf("kept experiment %s: %+v", got.Status, got.Error)
	}
	orphans := []string{"artifacts/ex_000000000000/attempt-1/out.txt", "datasets/sha256/" + strings.Repeat("ab", 32)}
	for _, k := range orphans {
		if _, err := m.Client().PutObject(ctx, "drover", k, bytes.NewReader([]byte("x")), 1, minio.PutObjectOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	c.restartServer()
	c.waitFor("the orphan sweep", time.Minute, func() bool {
		return len(objectKeys(t, m, orphans[0]))+len(objectKeys(t, m, orphans[1])) == 0
	})
	if keys := objectKeys(t, m, "artifacts/"+ke.ID+"/"); len(keys) == 0 {
		t.Errorf("the sweep removed the objects of a stored experiment")
	}
	if keys := objectKeys(t, m, "datasets/sha256/"+kept.SHA256); len(keys) != 1 {
		t.Errorf("the sweep removed a stored dataset's object: %v", keys)
	}
}

func writeFile(t *testing.T, path string) {
	t.Helper()
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
}

func apiCode(err error) string {
	var ae *api.Error
	if errors.As(err, &ae) {
		return ae.Code
	}
	return ""
}
