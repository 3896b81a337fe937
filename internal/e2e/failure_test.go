package e2e

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/drover-ml/drover/api"
	"github.com/drover-ml/drover/internal/queue"
	"github.com/drover-ml/drover/internal/testutil"
)

const allowCommands = "DROVER_ALLOW_COMMAND_EXPERIMENTS=true"

// kill -9 of the worker running an experiment: it finishes on another worker
// as attempt 2, and the two attempts never ran at the same time.
func TestKillWorkerMidExperiment(t *testing.T) {
	c := newCluster(t, nil, allowCommands)
	workers := map[string]*proc{"wa": c.startWorker("wa"), "wb": c.startWorker("wb")}
	c.workersOnline(2)
	ds := c.dataset()
	dir := t.TempDir()
	logPath := filepath.Join(dir, "alive.log")
	e := c.create(api.Spec{DatasetID: ds.ID, Command: recipe(logPath, dir, 3)})
	e = c.waitStatus(e.ID, 30*time.Second, api.StatusRunning)
	victim := c.workerNamed(e.Worker)
	c.waitFor("attempt 1 alive", 10*time.Second, func() bool { _, err := os.Stat(filepath.Join(dir, "attempt-1")); return err == nil })
	killedAt := time.Now()
	workers[victim].signal(syscall.SIGKILL)

	var again *api.Experiment
	c.waitFor("attempt 2 running", 30*time.Second, func() bool {
		again = c.get(e.ID)
		return again.Attempt == 2 && (again.Status == api.StatusRunning || again.Status == api.StatusSucceeded)
	})
	t.Logf("kill -9 → running again elsewhere in %s", time.Since(killedAt).Round(10*time.Millisecond))
	if again.Worker == e.Worker {
		t.Fatalf("attempt 2 ran on the killed worker %s", e.Worker)
	}
	final := c.waitStatus(e.ID, 60*time.Second, api.StatusSucceeded, api.StatusFailed)
	if final.Status != api.StatusSucceeded || final.Attempt != 2 {
		t.Fatalf("final %s attempt %d (%+v)", final.Status, final.Attempt, final.Error)
	}
	if pid := readPID(t, filepath.Join(dir, "attempt-1")); alive(pid) {
		t.Fatalf("attempt 1's process %d outlived its worker", pid)
	}
	assertNoOverlap(t, logPath)
}

// SIGSTOP of a worker past its lease: a new attempt starts elsewhere; after
// SIGCONT the old attempt's process is already gone and its result is rejected.
func TestStoppedWorkerIsFenced(t *testing.T) {
	c := newCluster(t, nil, allowCommands)
	workers := map[string]*proc{"wa": c.startWorker("wa"), "wb": c.startWorker("wb")}
	c.workersOnline(2)
	ds := c.dataset()
	dir := t.TempDir()
	logPath := filepath.Join(dir, "alive.log")
	e := c.create(api.Spec{DatasetID: ds.ID, Command: recipe(logPath, dir, 4)})
	e = c.waitStatus(e.ID, 30*time.Second, api.StatusRunning)
	victim := workers[c.workerNamed(e.Worker)]
	c.waitFor("attempt 1 alive", 10*time.Second, func() bool { _, err := os.Stat(filepath.Join(dir, "attempt-1")); return err == nil })
	victim.signal(syscall.SIGSTOP)
	c.waitFor("attempt 2 running elsewhere", 30*time.Second, func() bool {
		cur := c.get(e.ID)
		return cur.Attempt >= 2 && cur.Worker != e.Worker
	})
	// The stopped worker's child exited on its own when its parent went silent.
	if pid := readPID(t, filepath.Join(dir, "attempt-1")); alive(pid) {
		t.Fatalf("attempt 1's process %d still runs while its worker is stopped", pid)
	}
	victim.signal(syscall.SIGCONT)
	c.waitFor("the stale result to be rejected", 20*time.Second, func() bool {
		return strings.Contains(victim.Log(), "stale attempt") || strings.Contains(victim.Log(), "lease no longer ours")
	})
	final := c.waitStatus(e.ID, 60*time.Second, api.StatusSucceeded, api.StatusFailed)
	if final.Status != api.StatusSucceeded || final.Attempt != 2 {
		t.Fatalf("final %s attempt %d (%+v)", final.Status, final.Attempt, final.Error)
	}
	assertNoOverlap(t, logPath)
	if got := metric(t, c.url, `drover_queue_counter{counter="stale_rejected"}`); got < 1 && !strings.Contains(victim.Log(), "lease no longer ours") {
		t.Fatalf("no stale result rejected and no lease loss noticed (metric %v)", got)
	}
}

// Redis (with appendonly) and the server restart while experiments run:
// nothing is lost and every result arrives.
func TestRedisAndServerRestart(t *testing.T) {
	r := testutil.StartRedis(t, testutil.WithAppendOnly())
	c := newCluster(t, r, allowCommands)
	c.startWorker("wa")
	c.workersOnline(1)
	ds := c.dataset()
	var ids []string
	for i := 0; i < 5; i++ {
		ids = append(ids, c.create(api.Spec{DatasetID: ds.ID, Command: "sleep 1"}).ID)
	}
	c.waitStatus(ids[0], 30*time.Second, api.StatusRunning)
	r.Restart(t)
	c.restartServer()
	for _, id := range ids {
		e := c.waitStatus(id, 90*time.Second, api.StatusSucceeded, api.StatusFailed, api.StatusCancelled)
		if e.Status != api.StatusSucceeded {
			t.Fatalf("%s ended %s (%+v)", id, e.Status, e.Error)
		}
	}
}

// Two installations on one Redis with different redis_db never see each
// other's workers or experiments.
func TestTwoServersDifferentDB(t *testing.T) {
	r := testutil.StartRedis(t)
	a := newCluster(t, r, allowCommands, "DROVER_REDIS_DB=1")
	b := newCluster(t, r, allowCommands, "DROVER_REDIS_DB=2")
	a.startWorker("wa")
	b.startWorker("wb")
	sa, sb := a.workersOnline(1), b.workersOnline(1)
	if sa.Workers[0].Name != "wa" || sb.Workers[0].Name != "wb" {
		t.Fatalf("workers seen: a=%s b=%s", sa.Workers[0].Name, sb.Workers[0].Name)
	}
	ea := a.create(api.Spec{DatasetID: a.dataset().ID, Command: "true"})
	eb := b.create(api.Spec{DatasetID: b.dataset().ID, Command: "true"})
	ea = a.waitStatus(ea.ID, 30*time.Second, api.StatusSucceeded)
	eb = b.waitStatus(eb.ID, 30*time.Second, api.StatusSucceeded)
	if ea.Worker != sa.Workers[0].ID || eb.Worker != sb.Workers[0].ID {
		t.Fatalf("experiments ran on foreign workers: %s on %s, %s on %s", ea.ID, ea.Worker, eb.ID, eb.Worker)
	}
	if _, err := a.cl.GetExperiment(context.Background(), eb.ID); err == nil {
		t.Fatalf("server a knows b's experiment")
	}
}

// Malformed or foreign messages in the queue are rejected with a log line
// and do not stop a worker.
func TestMalformedQueueMessages(t *testing.T) {
	r := testutil.StartRedis(t)
	c := newCluster(t, r, allowCommands)
	w := c.startWorker("wa")
	c.workersOnline(1)
	q, err := queue.Open(context.Background(), queue.Options{Addr: r.Addr()})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	if _, err := q.Enqueue(context.Background(), queue.Job{ID: "foreign-1", Payload: []byte("not json at all")}); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Enqueue(context.Background(), queue.Job{ID: "foreign-2", Payload: []byte(`{"experiment_id":"someone-else"}`)}); err != nil {
		t.Fatal(err)
	}
	rc := redis.NewClient(&redis.Options{Addr: r.Addr()})
	defer rc.Close()
	rc.ZAdd(context.Background(), "drover:pending", redisZ("ghost-without-hash"))
	c.waitFor("the worker to reject both", 20*time.Second, func() bool {
		return strings.Count(w.Log(), "malformed assignment rejected") >= 2
	})
	e := c.create(api.Spec{DatasetID: c.dataset().ID, Command: "true"})
	if got := c.waitStatus(e.ID, 30*time.Second, api.StatusSucceeded, api.StatusFailed); got.Status != api.StatusSucceeded {
		t.Fatalf("valid experiment after garbage: %s (%+v)", got.Status, got.Error)
	}
	select {
	case <-w.done:
		t.Fatal("the worker exited")
	default:
	}
}

// Cancel kills the attempt's process group within about a second and the
// experiment is never retried.
func TestCancelRunningOnWorker(t *testing.T) {
	c := newCluster(t, nil, allowCommands)
	c.startWorker("wa")
	c.workersOnline(1)
	dir := t.TempDir()
	e := c.create(api.Spec{DatasetID: c.dataset().ID, Command: recipe(filepath.Join(dir, "alive.log"), dir, 60)})
	c.waitStatus(e.ID, 30*time.Second, api.StatusRunning)
	c.waitFor("child started", 10*time.Second, func() bool { _, err := os.Stat(filepath.Join(dir, "attempt-1")); return err == nil })
	pid := readPID(t, filepath.Join(dir, "attempt-1"))
	start := time.Now()
	got, err := c.cl.CancelExperiment(context.Background(), e.ID)
	if err != nil || got.Status != api.StatusCancelled {
		t.Fatalf("cancel: %+v %v", got, err)
	}
	c.waitFor("the process group gone", 10*time.Second, func() bool { return !alive(pid) })
	t.Logf("cancel → process gone in %s", time.Since(start).Round(time.Millisecond))
	time.Sleep(2 * time.Second)
	if cur := c.get(e.ID); cur.Status != api.StatusCancelled || cur.Attempt != 1 {
		t.Fatalf("after cancel: %s attempt %d", cur.Status, cur.Attempt)
	}
}

// SIGTERM on a worker: it stops claiming, gives the attempt its grace
// period, then hands it back; another worker finishes it.
func TestGracefulStopHandsBack(t *testing.T) {
	c := newCluster(t, nil, allowCommands)
	wa := c.startWorker("wa")
	c.workersOnline(1)
	dir := t.TempDir()
	logPath := filepath.Join(dir, "alive.log")
	// Long on the first attempt, short afterwards.
	cmd := `if [ "$DROVER_ATTEMPT" = 1 ]; then ` + recipe(logPath, dir, 30) + `; else ` + recipe(logPath, dir, 0.5) + `; fi`
	e := c.create(api.Spec{DatasetID: c.dataset().ID, Command: cmd})
	c.waitStatus(e.ID, 30*time.Second, api.StatusRunning)
	wa.signal(syscall.SIGTERM)
	if !wa.wait(30 * time.Second) {
		t.Fatal("worker did not stop after its grace period")
	}
	if !strings.Contains(wa.Log(), "handed") {
		t.Fatalf("worker log does not show the hand-back")
	}
	c.startWorker("wb")
	final := c.waitStatus(e.ID, 60*time.Second, api.StatusSucceeded, api.StatusFailed)
	if final.Status != api.StatusSucceeded || final.Attempt != 2 {
		t.Fatalf("final %s attempt %d", final.Status, final.Attempt)
	}
	assertNoOverlap(t, logPath)
}

// GPU experiments go only to workers with enough free GPUs, each attempt
// with its own CUDA_VISIBLE_DEVICES, and a waiting one says why.
func TestGPURouting(t *testing.T) {
	c := newCluster(t, nil, allowCommands)
	c.startWorker("cpu-only", "DROVER_WORKER_GPUS=0")
	c.workersOnline(1)
	dir := t.TempDir()
	ds := c.dataset()
	e := c.create(api.Spec{DatasetID: ds.ID, GPUs: 2, Command: `echo "$CUDA_VISIBLE_DEVICES" > ` + dir + `/gpus-$DROVER_EXPERIMENT_ID`})
	var q *api.Experiment
	c.waitFor("a wait reason", 10*time.Second, func() bool { q = c.get(e.ID); return q.WaitReason != "" })
	if q.Status != api.StatusQueued || q.Queue != "gpu" || q.QueuePosition != 1 || !strings.Contains(q.WaitReason, "no GPU worker online") {
		t.Fatalf("GPU experiment with no GPU worker: %s, #%d in %s queue, %q", q.Status, q.QueuePosition, q.Queue, q.WaitReason)
	}
	// A CPU experiment queued after it still runs on the CPU worker (FIFO
	// among what that processor can run).
	cpu := c.create(api.Spec{DatasetID: ds.ID, Command: "true"})
	c.waitStatus(cpu.ID, 30*time.Second, api.StatusSucceeded)
	c.startWorker("gpu-box", "DROVER_WORKER_GPUS=2")
	done := c.waitStatus(e.ID, 30*time.Second, api.StatusSucceeded)
	if name := c.workerNamed(done.Worker); name != "gpu-box" {
		t.Fatalf("GPU experiment ran on %q", name)
	}
	b, err := os.ReadFile(filepath.Join(dir, "gpus-"+e.ID))
	if err != nil || strings.TrimSpace(string(b)) != "0,1" {
		t.Fatalf("CUDA_VISIBLE_DEVICES = %q (%v), want 0,1", b, err)
	}
}

// Command experiments wait for a worker that allows them (the server
// allows them; worker "plain" does not).
func TestCommandCapability(t *testing.T) {
	c := newCluster(t, nil, allowCommands)
	c.startWorker("plain", "DROVER_ALLOW_COMMAND_EXPERIMENTS=false")
	si := c.workersOnline(1)
	if si.TotalProcessors != 2 {
		t.Fatalf("one worker on defaults shows %d processors, want 2", si.TotalProcessors)
	}
	e := c.create(api.Spec{DatasetID: c.dataset().ID, Command: "true"})
	var q *api.Experiment
	c.waitFor("a wait reason", 10*time.Second, func() bool { q = c.get(e.ID); return q.WaitReason != "" })
	if !strings.Contains(q.WaitReason, "allow_command_experiments") {
		t.Fatalf("wait reason %q does not name allow_command_experiments", q.WaitReason)
	}
	c.startWorker("recipes", allowCommands)
	c.waitStatus(e.ID, 30*time.Second, api.StatusSucceeded)
}

// Live events reach `logs --follow` (the SSE stream) while the experiment runs.
func TestLiveEvents(t *testing.T) {
	c := newCluster(t, nil, allowCommands)
	c.startWorker("wa")
	c.workersOnline(1)
	e := c.create(api.Spec{DatasetID: c.dataset().ID, Command: `echo first line; sleep 2; echo second line`})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var firstAt time.Time
	final, err := c.cl.FollowEvents(ctx, e.ID, 0, func(ev api.Event) error {
		if ev.Message == "first line" && firstAt.IsZero() {
			firstAt = time.Now()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if firstAt.IsZero() || final.FinishedAt == nil {
		t.Fatalf("first line seen at %v, finished %v", firstAt, final.FinishedAt)
	}
	if !firstAt.Before(*final.FinishedAt) {
		t.Fatalf("the first log line arrived only after the experiment ended")
	}
	// The CLI follows the same stream.
	out, err := run(droverBin, "--server", c.url, "experiment", "logs", e.ID)
	if err != nil || !strings.Contains(out, "second line") {
		t.Fatalf("experiment logs: %v\n%s", err, out)
	}
}

func metric(t *testing.T, url, series string) float64 {
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	re := regexp.MustCompile(regexp.QuoteMeta(series) + ` ([0-9.e+-]+)`)
	m := re.FindStringSubmatch(string(b))
	if m == nil {
		return 0
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v
}

// Experiments show the name of the worker that runs them, not only its identity.
func TestWorkerNameShown(t *testing.T) {
	c := newCluster(t, nil, allowCommands)
	c.startWorker("gpu-box-7")
	c.workersOnline(1)
	e := c.waitStatus(c.create(api.Spec{DatasetID: c.dataset().ID, Command: "true"}).ID, 30*time.Second, api.StatusSucceeded)
	if e.WorkerName != "gpu-box-7" || e.Worker == "" || e.Worker == e.WorkerName {
		t.Fatalf("worker %q name %q", e.Worker, e.WorkerName)
	}
	out, err := run(droverBin, "--server", c.url, "experiment", "list")
	if err != nil || !strings.Contains(out, "gpu-box-7") {
		t.Fatalf("experiment list does not name the worker: %v\n%s", err, out)
	}
}
