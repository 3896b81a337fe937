package worker

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/drover-ml/drover/api"
	"github.com/drover-ml/drover/internal/blob"
	"github.com/drover-ml/drover/internal/config"
	"github.com/drover-ml/drover/internal/runner"
	"github.com/drover-ml/drover/internal/server"
	"github.com/drover-ml/drover/internal/servertest"
	"github.com/drover-ml/drover/internal/testutil"
)

// The test binary stands in for the drover binary in child processes.
func TestMain(m *testing.M) {
	runner.MaybeChild()
	goleak.VerifyTestMain(m)
}

// holdStore wraps the object store datasets are fetched from: the first
// `hold` ranged reads deliver half their bytes from MinIO and then stall
// until the fetch is cancelled, so a test can act while a fetch is midway.
type holdStore struct {
	blob.Store
	rr   blob.RangeReader
	hold atomic.Int32
	held chan struct{} // one value per read that stalls
}

func newHoldStore(n int32) *holdStore {
	h := &holdStore{held: make(chan struct{}, 8)}
	h.hold.Store(n)
	return h
}

func (h *holdStore) wrap(s blob.Store) blob.Store {
	h.Store, h.rr = s, s.(blob.RangeReader)
	return h
}

func (h *holdStore) GetRange(ctx context.Context, key string, off, n int64) (io.ReadCloser, error) {
	rc, err := h.rr.GetRange(ctx, key, off, n)
	if err != nil || h.hold.Add(-1) < 0 {
		return rc, err
	}
	return &heldReader{ReadCloser: rc, ctx: ctx, left: n / 2, held: h.held}, nil
}

type heldReader struct {
	io.ReadCloser
	ctx  context.Context
	left int64
	held chan struct{}
}

func (r *heldReader) Read(p []byte) (int, error) {
	if r.left > 0 {
		n, err := r.ReadCloser.Read(p[:min(int64(len(p)), r.left)])
		r.left -= int64(n)
		return n, err
	}
	if r.held != nil {
		r.held <- struct{}{}
		r.held = nil
	}
	<-r.ctx.Done()
	return 0, r.ctx.Err()
}

// fetchEnv is a multinode server (in-process) with real Redis and MinIO,
// and one worker with one processor whose fetches can be held midway.
type fetchEnv struct {
	t     *testing.T
	cfg   *config.Config
	redis *testutil.Redis
	cl    *api.Client
	ds    *api.Dataset
}

func newFetchEnv(t *testing.T) *fetchEnv {
	t.Helper()
	r := testutil.StartRedis(t)
	m := testutil.StartMinIO(t)
	cfg := servertest.Config(t)
	cfg.WorkerMode = config.ModeMultinode
	cfg.RedisIP, cfg.RedisPort = "127.0.0.1", mustPort(t, r.Addr())
	cfg.LocalMinioPort = 0
	cfg.MainServerMinioAddress = m.Endpoint()
	cfg.MainServerMinioAccessKeyID, cfg.MainServerMinioSecretAccessKey = m.AccessKey(), m.SecretKey()
	cfg.MainServerMinioBucket = m.NewBucket(t)
	cfg.AllowCommandExperiments = true
	cfg.WorkerRemoteProcessors = 1
	cfg.WorkerGPUs = 0
	cfg.WorkerHeartbeatInterval, cfg.WorkerLeasePeriod, cfg.WorkerGracePeriod = 1, 5, 2
	srv := servertest.Start(t, cfg)
	e := &fetchEnv{t: t, cfg: cfg, redis: r, cl: api.NewClient(srv.URL(), cfg.APIToken)}
	ds, err := e.cl.UploadDataset(t.Context(), servertest.Examples("iris.csv"), nil)
	if err != nil {
		t.Fatal(err)
	}
	e.ds = ds
	return e
}

func mustPort(t *testing.T, addr string) int {
	_, p, _ := strings.Cut(addr, ":")
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// runningWorker is a Worker serving in the background.
type runningWorker struct {
	w      *Worker
	dir    string
	cancel context.CancelFunc
	done   chan error
}

func (e *fetchEnv) startWorker(dir string, hold *holdStore) *runningWorker {
	e.t.Helper()
	wc := *e.cfg
	wc.DataDirectory = dir
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx, cancel := context.WithCancel(context.Background())
	q, err := server.OpenQueue(ctx, &wc, log)
	if err != nil {
		cancel()
		e.t.Fatal(err)
	}
	opts := Options{Exe: self(e.t)}
	if hold != nil {
		opts.wrapObjects = hold.wrap
	}
	w, err := New(ctx, &wc, log, q, opts)
	if err != nil {
		cancel()
		q.Close()
		e.t.Fatal(err)
	}
	rw := &runningWorker{w: w, dir: dir, cancel: cancel, done: make(chan error, 1)}
	go func() { rw.done <- w.Run(ctx); q.Close() }()
	e.t.Cleanup(func() { rw.stop(e.t) })
	return rw
}

// stop ends the worker and waits for Run to return; safe to call twice.
func (rw *runningWorker) stop(t *testing.T) {
	t.Helper()
	rw.cancel()
	select {
	case err, ok := <-rw.done:
		if ok && err != nil {
			t.Errorf("worker: %v", err)
		}
		if ok {
			close(rw.done)
		}
	case <-time.After(time.Minute):
		t.Fatal("worker did not stop")
	}
}

// alive fails the test when the worker's Run has returned.
func (rw *runningWorker) alive(t *testing.T) {
	t.Helper()
	select {
	case err := <-rw.done:
		t.Fatalf("worker stopped: %v", err)
	default:
	}
}

func self(t *testing.T) string {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

func waitHeld(t *testing.T, h *holdStore) {
	t.Helper()
	select {
	case <-h.held:
	case <-time.After(2 * time.Minute):
		t.Fatal("the dataset fetch never started")
	}
}

// partials lists the cache's unfinished downloads (temporary names).
func partials(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(dir, "cache"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") && e.Name() != ".clean" {
			out = append(out, e.Name())
		}
	}
	return out
}

func (e *fetchEnv) create() *api.Experiment {
	e.t.Helper()
	x, err := e.cl.CreateExperiment(e.t.Context(), api.Spec{DatasetID: e.ds.ID, Command: "true"})
	if err != nil {
		e.t.Fatal(err)
	}
	return x
}

func (e *fetchEnv) get(id string) *api.Experiment {
	e.t.Helper()
	x, err := e.cl.GetExperiment(e.t.Context(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return x
}

func (e *fetchEnv) waitStatus(id string, statuses ...string) *api.Experiment {
	e.t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		x := e.get(id)
		for _, s := range statuses {
			if x.Status == s {
				return x
			}
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("%s is %s, want %v", id, x.Status, statuses)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Cancelling an experiment while its worker fetches the dataset stops the
// fetch and removes its partial file; the worker keeps serving and runs the
// next experiment (on the same dataset).
func TestCancelDuringFetch(t *testing.T) {
	e := newFetchEnv(t)
	hold := newHoldStore(1)
	w := e.startWorker(t.TempDir(), hold)
	first := e.create()
	waitHeld(t, hold)
	if p := partials(t, w.dir); len(p) == 0 {
		t.Fatal("no partial file while the fetch is held midway")
	}
	// The claim reaches the server's store through the results stream; wait
	// for it, so the cancel meets attempt 1 as the store records it.
	e.waitStatus(first.ID, api.StatusRunning)
	if _, err := e.cl.CancelExperiment(t.Context(), first.ID); err != nil {
		t.Fatal(err)
	}
	e.waitStatus(first.ID, api.StatusCancelled)
	next := e.create()
	got := e.waitStatus(next.ID, api.StatusSucceeded, api.StatusFailed, api.StatusCancelled)
	if got.Status != api.StatusSucceeded {
		t.Fatalf("next experiment %s: %+v", got.Status, got.Error)
	}
	w.alive(t)
	if got.Worker != w.w.ID() {
		t.Fatalf("next experiment ran on %q, want the worker %q", got.Worker, w.w.ID())
	}
	// One processor: the next experiment started only after the cancelled
	// attempt left its slot, so its fetch was over by then.
	if p := partials(t, w.dir); len(p) != 0 {
		t.Fatalf("partial files left in the cache: %v", p)
	}
	if x := e.get(first.ID); x.Status != api.StatusCancelled || x.Attempt != 1 {
		t.Fatalf("cancelled experiment is now %s (attempt %d)", x.Status, x.Attempt)
	}
}

// A lease lost while the worker fetches the dataset (here: expired in
// Redis behind the worker's back) stops the fetch; the experiment is
// retried and the next attempt runs on the same worker.
func TestLeaseLostDuringFetch(t *testing.T) {
	e := newFetchEnv(t)
	hold := newHoldStore(1)
	w := e.startWorker(t.TempDir(), hold)
	x := e.create()
	waitHeld(t, hold)
	rdb := redis.NewClient(&redis.Options{Addr: e.redis.Addr(), Password: e.redis.Password(), DB: e.cfg.RedisDB})
	defer rdb.Close()
	// XX CH: 1 only when the lease was there and now has a deadline long past.
	n, err := rdb.ZAddArgs(t.Context(), e.cfg.RedisKeyPrefix+":leases", redis.ZAddArgs{XX: true, Ch: true, Members: []redis.Z{{Score: 1, Member: x.ID}}}).Result()
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("ZADD XX CH changed %d leases; want the experiment's one", n)
	}
	got := e.waitStatus(x.ID, api.StatusSucceeded, api.StatusFailed, api.StatusCancelled)
	if got.Status != api.StatusSucceeded || got.Attempt != 2 {
		t.Fatalf("after the lost lease: %s at attempt %d (%+v); want succeeded at attempt 2", got.Status, got.Attempt, got.Error)
	}
	w.alive(t)
	if got.Worker != w.w.ID() {
		t.Fatalf("attempt 2 ran on %q, want the worker %q", got.Worker, w.w.ID())
	}
	if p := partials(t, w.dir); len(p) != 0 {
		t.Fatalf("partial files left in the cache: %v", p)
	}
}

// A worker stopped while it fetches the dataset stops the fetch at once,
// hands the experiment back to the queue and exits; a worker started on
// the same directory runs it.
func TestShutdownDuringFetch(t *testing.T) {
	e := newFetchEnv(t)
	hold := newHoldStore(1)
	dir := t.TempDir()
	w := e.startWorker(dir, hold)
	x := e.create()
	waitHeld(t, hold)
	w.stop(t)
	if p := partials(t, dir); len(p) != 0 {
		t.Fatalf("partial files left in the cache: %v", p)
	}
	if got := e.get(x.ID); got.Status != api.StatusQueued && got.Status != api.StatusRunning {
		t.Fatalf("handed-back experiment is %s (%+v)", got.Status, got.Error)
	}
	w2 := e.startWorker(dir, nil)
	got := e.waitStatus(x.ID, api.StatusSucceeded, api.StatusFailed, api.StatusCancelled)
	if got.Status != api.StatusSucceeded || got.Attempt != 2 || got.Worker != w2.w.ID() {
		t.Fatalf("after the hand-back: %s at attempt %d on %q (%+v); want succeeded at attempt 2 on %q", got.Status, got.Attempt, got.Worker, got.Error, w2.w.ID())
	}
	if got.FailureKind != "" {
		t.Fatalf("failure kind %q after a hand-back", got.FailureKind)
	}
}
