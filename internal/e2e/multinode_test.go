package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drover-ml/drover/api"
	"github.com/drover-ml/drover/internal/blob/minioserver"
	"github.com/drover-ml/drover/internal/testutil"
)

// needMinIO skips (fails under CI=true) when the minio binary is missing.
func needMinIO(t *testing.T) {
	t.Helper()
	if _, err := minioserver.FindBinary(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("minio is required under CI: %v", err)
		}
		t.Skipf("minio not installed: %v", err)
	}
}

func events(t *testing.T, c *cluster, id string) []api.Event {
	t.Helper()
	evs, err := c.cl.Events(context.Background(), id, 0)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func dataEvent(evs []api.Event) *api.Event {
	for i := range evs {
		if evs[i].Type == api.EventData {
			return &evs[i]
		}
	}
	return nil
}

// The server supervises its own MinIO; a worker with its own data
// directory runs experiments on data it has never seen; the second
// experiment on the same dataset moves zero bytes; models come back.
func TestMultinodeEndToEnd(t *testing.T) {
	needMinIO(t)
	port := freePort(t)
	c := newCluster(t, nil,
		"DROVER_WORKER_MODE=multinode",
		fmt.Sprintf("DROVER_LOCAL_MINIO_PORT=%d", port),
		fmt.Sprintf("DROVER_MAIN_SERVER_MINIO_ADDRESS=127.0.0.1:%d", port),
		"DROVER_MAIN_SERVER_MINIO_ACCESS_KEY_ID=drover-e2e",
		"DROVER_MAIN_SERVER_MINIO_SECRET_ACCESS_KEY=e2e-secret-"+fmt.Sprint(time.Now().UnixNano()),
	)
	w := c.startWorker("remote")
	c.workersOnline(1)
	ds, err := c.cl.UploadDataset(context.Background(), example("pima_diabetes.csv"), nil)
	if err != nil {
		t.Fatal(err)
	}
	first := c.create(api.Spec{DatasetID: ds.ID, Target: "class", Time: 1, Accuracy: 1})
	first = c.waitStatus(first.ID, 3*time.Minute, api.StatusSucceeded, api.StatusFailed)
	if first.Status != api.StatusSucceeded {
		t.Fatalf("first experiment %s: %+v", first.Status, first.Error)
	}
	d1 := dataEvent(events(t, c, first.ID))
	if d1 == nil || d1.CacheHit || d1.Bytes != ds.Size {
		t.Fatalf("first fetch event %+v, want a miss moving %d bytes", d1, ds.Size)
	}
	second := c.create(api.Spec{DatasetID: ds.ID, Target: "class", Time: 1, Accuracy: 1})
	second = c.waitStatus(second.ID, 3*time.Minute, api.StatusSucceeded, api.StatusFailed)
	if second.Status != api.StatusSucceeded {
		t.Fatalf("second experiment %s: %+v", second.Status, second.Error)
	}
	d2 := dataEvent(events(t, c, second.ID))
	if d2 == nil || !d2.CacheHit || d2.Bytes != 0 {
		t.Fatalf("second fetch event %+v, want a cache hit moving 0 bytes", d2)
	}
	for _, ev := range events(t, c, second.ID) {
		if strings.Contains(ev.Message, "after the claim") {
			t.Logf("warm cache: %s", ev.Message)
		}
	}
	// Models and reports come back through the object store.
	arts, err := c.cl.Artifacts(context.Background(), second.ID)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, a := range arts {
		names[a.Name] = true
	}
	if !names["model/model.json"] || !names["leaderboard.json"] {
		t.Fatalf("artifacts %v", names)
	}
	f, _ := os.Open(example("pima_diabetes.csv"))
	defer f.Close()
	var out bytes.Buffer
	if err := c.cl.Predict(context.Background(), second.ID, f, &out); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out.String(), "\n"); n != 769 {
		t.Fatalf("predictions: %d lines", n)
	}
	if metric(t, c.url, `drover_dataset_cache_lookups_total{result="hit"}`) < 1 {
		t.Fatalf("cache hit not in /metrics")
	}
	// The worker's outputs left its disk once published; its cache holds the dataset.
	if strings.Contains(w.Log(), "level=ERROR") {
		t.Fatalf("worker logged errors:\n%s", w.Log())
	}
}

// MinIO gone while an experiment needs its data: the transfer is retried,
// then the attempt fails as infra (retried, then failed); nothing partial
// is left in the worker's cache, and the worker keeps serving.
func TestMultinodeObjectStoreDown(t *testing.T) {
	needMinIO(t)
	m := testutil.StartMinIO(t)
	cacheDir := t.TempDir()
	c := newCluster(t, nil,
		"DROVER_WORKER_MODE=multinode",
		"DROVER_LOCAL_MINIO_PORT=0",
		"DROVER_MAIN_SERVER_MINIO_ADDRESS="+m.Endpoint(),
		"DROVER_MAIN_SERVER_MINIO_ACCESS_KEY_ID="+m.AccessKey(),
		"DROVER_MAIN_SERVER_MINIO_SECRET_ACCESS_KEY="+m.SecretKey(),
		"DROVER_MAX_RETRIES=1",
		allowCommands,
	)
	env := append(append([]string{}, c.env...), "DROVER_DATA_DIRECTORY="+cacheDir, "DROVER_WORKER_NAME=remote")
	w := startProc(t, "remote", env, "worker")
	c.workersOnline(1)
	ds := c.dataset()
	m.Stop()
	e := c.create(api.Spec{DatasetID: ds.ID, Command: "true"})
	e = c.waitStatus(e.ID, 3*time.Minute, api.StatusSucceeded, api.StatusFailed)
	if e.Status != api.StatusFailed || e.FailureKind != api.FailureInfra || e.Attempt != 2 || e.Error.Code != "data_unavailable" {
		t.Fatalf("with MinIO down: %s/%s attempt %d %+v; want failed/infra after 2 attempts, data_unavailable", e.Status, e.FailureKind, e.Attempt, e.Error)
	}
	// Nothing partial in the cache.
	err := filepath.Walk(filepath.Join(cacheDir, "cache"), func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() && strings.Contains(info.Name(), ds.SHA256) {
			t.Errorf("cache holds %s after a failed transfer", p)
		}
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	m.Start()
	ok := c.create(api.Spec{DatasetID: ds.ID, Command: "true"})
	if got := c.waitStatus(ok.ID, 2*time.Minute, api.StatusSucceeded, api.StatusFailed); got.Status != api.StatusSucceeded {
		t.Fatalf("after MinIO came back: %s %+v", got.Status, got.Error)
	}
	select {
	case <-w.done:
		t.Fatal("worker exited")
	default:
	}
}

// Wrong credentials and a missing bucket: the worker fails with one line
// naming the address and bucket, within the ping timeout.
func TestMultinodeWorkerBadStore(t *testing.T) {
	needMinIO(t)
	m := testutil.StartMinIO(t)
	bucket := m.NewBucket(t)
	r := testutil.StartRedis(t)
	_, rport, _ := net.SplitHostPort(r.Addr())
	base := []string{"DROVER_WORKER_MODE=multinode", "DROVER_REDIS_PORT=" + rport,
		"DROVER_MAIN_SERVER_MINIO_ADDRESS=" + m.Endpoint(), "DROVER_MAIN_SERVER_MINIO_BUCKET_PING_TIMEOUT=3"}
	for _, tc := range []struct {
		name string
		env  []string
		want string
	}{
		{"wrong secret", []string{"DROVER_MAIN_SERVER_MINIO_ACCESS_KEY_ID=" + m.AccessKey(), "DROVER_MAIN_SERVER_MINIO_SECRET_ACCESS_KEY=wrong-secret-123", "DROVER_MAIN_SERVER_MINIO_BUCKET=" + bucket}, "credential"},
		{"missing bucket", []string{"DROVER_MAIN_SERVER_MINIO_ACCESS_KEY_ID=" + m.AccessKey(), "DROVER_MAIN_SERVER_MINIO_SECRET_ACCESS_KEY=" + m.SecretKey(), "DROVER_MAIN_SERVER_MINIO_BUCKET=no-such-bucket"}, "no-such-bucket"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := append(append(append([]string{}, base...), tc.env...), "DROVER_DATA_DIRECTORY="+t.TempDir())
			start := time.Now()
			p := startProc(t, "worker", env, "worker")
			if !p.wait(60 * time.Second) {
				t.Fatal("worker still running with a bad object store")
			}
			took := time.Since(start)
			last := lastLine(p.Log())
			if p.cmd.ProcessState.ExitCode() == 0 || !strings.Contains(last, m.Endpoint()) || !strings.Contains(strings.ToLower(last), tc.want) {
				t.Fatalf("exit %d after %s, last line %q; want a failure naming %s and %q", p.cmd.ProcessState.ExitCode(), took, last, m.Endpoint(), tc.want)
			}
			t.Logf("failed after %s: %s", took.Round(100*time.Millisecond), last)
		})
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// While its only processor is busy, a worker fetches the dataset of the
// experiment it will claim next: that one starts with a cache hit although
// its dataset was never used on the worker before.
func TestMultinodePrefetch(t *testing.T) {
	needMinIO(t)
	port := freePort(t)
	c := newCluster(t, nil,
		"DROVER_WORKER_MODE=multinode",
		fmt.Sprintf("DROVER_LOCAL_MINIO_PORT=%d", port),
		fmt.Sprintf("DROVER_MAIN_SERVER_MINIO_ADDRESS=127.0.0.1:%d", port),
		"DROVER_MAIN_SERVER_MINIO_ACCESS_KEY_ID=drover-e2e",
		"DROVER_MAIN_SERVER_MINIO_SECRET_ACCESS_KEY=e2e-secret-"+fmt.Sprint(time.Now().UnixNano()),
		"DROVER_WORKER_REMOTE_PROCESSORS=1",
		allowCommands,
	)
	c.startWorker("remote")
	c.workersOnline(1)
	first, err := c.cl.UploadDataset(context.Background(), example("iris.csv"), nil)
	if err != nil {
		t.Fatal(err)
	}
	next, err := c.cl.UploadDataset(context.Background(), example("vote.csv"), nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	busy := c.create(api.Spec{DatasetID: first.ID, Command: "touch " + dir + "/started; sleep 3"})
	c.waitFor("the first experiment's process", 30*time.Second, func() bool {
		_, err := os.Stat(filepath.Join(dir, "started"))
		return err == nil
	})
	queued := c.create(api.Spec{DatasetID: next.ID, Command: "true"})
	c.waitStatus(busy.ID, time.Minute, api.StatusSucceeded)
	done := c.waitStatus(queued.ID, time.Minute, api.StatusSucceeded, api.StatusFailed)
	if done.Status != api.StatusSucceeded {
		t.Fatalf("second experiment %s: %+v", done.Status, done.Error)
	}
	d := dataEvent(events(t, c, queued.ID))
	if d == nil || !d.CacheHit || d.Bytes != 0 {
		t.Fatalf("the next experiment's dataset was not prefetched: %+v", d)
	}
}
