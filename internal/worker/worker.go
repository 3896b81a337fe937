// Package worker is `drover worker`: it registers with the queue in Redis,
// claims experiments whenever one of its processors is free, runs each
// attempt as a child process (internal/runner), renews its leases by
// heartbeat, obeys cancels, and sends results back.
package worker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/drover-ml/drover/internal/blob"
	"github.com/drover-ml/drover/internal/config"
	"github.com/drover-ml/drover/internal/ctxtime"
	"github.com/drover-ml/drover/internal/engine"
	"github.com/drover-ml/drover/internal/loops"
	"github.com/drover-ml/drover/internal/protocol"
	"github.com/drover-ml/drover/internal/queue"
	"github.com/drover-ml/drover/internal/runner"
)

// Data gets an attempt's dataset onto this machine and its outputs back.
// singlenode reads and writes the server's disk; multinode goes through the
// object store and a local cache.
type Data interface {
	// Dataset returns a local path of the assignment's dataset and a func to
	// call when the attempt no longer needs it.
	Dataset(ctx context.Context, a *protocol.Assignment, ref queue.Ref, events func(protocol.Event)) (path string, release func(), err error)
	// OutputDir is where the attempt writes its outputs.
	OutputDir(a *protocol.Assignment, ref queue.Ref) string
	// Publish makes the attempt's outputs readable by the server (under
	// keys scoped to the attempt) before its result is reported.
	Publish(ctx context.Context, a *protocol.Assignment, ref queue.Ref) error
	// Close releases what the data path holds.
	Close()
}

// Options are the worker's knobs that are not in config (tests set them).
type Options struct {
	// Exe is the drover binary for child processes ("" = this binary).
	Exe string
	// Data overrides the data path (nil = chosen from worker_mode).
	Data Data
	// ExitWhenIdle > 0: Run returns (stopping as on ctx's end) once the
	// worker has run nothing for this long (drover worker --exit-when-idle),
	// for autoscaled nodes.
	ExitWhenIdle time.Duration

	// wrapObjects, set by this package's tests only, wraps the object
	// store multinode datasets are fetched from (to hold a fetch midway).
	wrapObjects func(blob.Store) blob.Store
}

// Worker is one `drover worker` process.
type Worker struct {
	cfg  *config.Config
	log  *slog.Logger
	q    *queue.Queue
	data Data
	opts Options

	name  string
	slots int
	gpus  *gpuPool
	caps  []string
	dir   string
	lock  *os.File

	mu       sync.Mutex
	id       string
	running  map[string]*attempt // by experiment id
	slotFree chan struct{}
	// lastActive is when an attempt last left the running set (or Run
	// began); with nothing running, the worker is idle since then.
	lastActive time.Time
	wg         sync.WaitGroup // the attempts' goroutines

	// claims owns the claim loop and the idle watch: they stop first.
	// bg owns heartbeats, control messages and prefetches, which outlive
	// claiming until the attempts are settled.
	claims, bg loops.Group
	idle       chan struct{} // closed by the idle watch (ExitWhenIdle)
	stopOnce   sync.Once
	registered bool
}

// attempt is one claimed experiment on this worker, from the claim to its
// report: waiting for its data, fetching it, starting its child, running.
type attempt struct {
	ref queue.Ref
	a   *protocol.Assignment
	// ctx ends when the attempt must stop, whatever phase it is in; its
	// cause (errCancelled, errLeaseLost, errStopping) decides what happens
	// to the lease. cancel is safe to call more than once: the first cause wins.
	ctx    context.Context
	cancel context.CancelCauseFunc
	proc   *runner.Process // nil until the child started; w.mu guards it
	gpus   []int
	// release drops the attempt's hold on its dataset; set once the data is here.
	release func()
}

// Why the worker stops an attempt before it ends by itself.
var (
	// errCancelled: a user cancelled the experiment; the queue already
	// dropped the lease and recorded the cancellation.
	errCancelled = errors.New("cancelled by a user")
	// errLeaseLost: the queue no longer knows the lease as this attempt's
	// (reassigned, expired, worker forgotten); nothing of it is accepted.
	errLeaseLost = errors.New("lease lost")
	// errStopping: the worker is shutting down; the experiment is handed back
	// to the queue to run elsewhere.
	errStopping = errors.New("worker stopping")
)

// newAttempt is an attempt with its own context, detached from the claim
// loop's: shutdown reaches it through cancel (drain), not by inheritance.
func newAttempt(ctx context.Context, ref queue.Ref, a *protocol.Assignment, gpus []int) *attempt {
	actx, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	return &attempt{ref: ref, a: a, gpus: gpus, ctx: actx, cancel: cancel}
}

// New checks the configuration, takes the data directory and connects to
// Redis. It registers nothing yet; Run does.
func New(ctx context.Context, cfg *config.Config, log *slog.Logger, q *queue.Queue, opts Options) (*Worker, error) {
	if log == nil {
		log = slog.Default()
	}
	if !cfg.UsesRedis() {
		return nil, fmt.Errorf("worker: worker_mode is %q; workers serve \"singlenode\" or \"multinode\" servers", cfg.WorkerMode)
	}
	dir, err := filepath.Abs(cfg.DataDirectory)
	if err != nil {
		return nil, fmt.Errorf("worker: data directory: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("worker: create data directory %s: %w", dir, err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	w := &Worker{
		cfg: cfg, log: log.With(slog.String("component", "worker")), q: q, opts: opts,
		slots: cfg.WorkerRemoteProcessors, dir: dir, lock: lock,
		running: map[string]*attempt{}, slotFree: make(chan struct{}, 1), idle: make(chan struct{}),
	}
	w.name = workerName(cfg, dir)
	n, how := detectGPUs(ctx, cfg.WorkerGPUs)
	w.gpus = newGPUPool(n)
	w.log.Info("GPUs", slog.Int("count", n), slog.String("found_by", how))
	if cfg.AllowCommandExperiments {
		w.caps = append(w.caps, queue.CapCommand)
	}
	// Optional engine backends (XGBoost where Debian's libxgboost is
	// installed) are capabilities: experiments that ask for them wait for
	// a worker that has them.
	if slices.Contains(engine.Backends(), CapXGBoost) {
		w.caps = append(w.caps, CapXGBoost)
	}
	w.data = opts.Data
	if w.data == nil {
		if cfg.WorkerMode == config.ModeMultinode {
			if w.data, err = newObjectData(ctx, cfg, dir, w.log, opts.wrapObjects); err != nil {
				lock.Close()
				return nil, err
			}
		} else {
			w.data = &sharedDisk{}
		}
	}
	return w, nil
}

// lockDir makes sure one worker uses a data directory at a time.
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, "worker.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("worker: lock data directory: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("worker: data directory %s is used by another worker on this machine: give each worker its own data_directory", dir)
	}
	return f, nil
}

// workerName is the stable name of this worker: worker_name, or the host
// name plus a short hash of the data directory, so several workers on one
// machine keep distinct names across restarts.
func workerName(cfg *config.Config, dir string) string {
	if cfg.WorkerName != "" {
		return cfg.WorkerName
	}
	sum := sha256.Sum256([]byte(dir))
	return cfg.EffectiveWorkerName() + "-" + hex.EncodeToString(sum[:3])
}

// ID is the worker's identity after Run registered it.
func (w *Worker) ID() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.id
}

// Run registers the worker and serves until ctx ends (or, with
// ExitWhenIdle, until it has been idle that long), then stops gracefully
// (Stop).
func (w *Worker) Run(ctx context.Context) error {
	if err := w.Start(ctx); err != nil {
		w.Stop()
		return err
	}
	select {
	case <-ctx.Done():
	case <-w.idle:
	}
	w.Stop()
	return nil
}

// Start registers the worker and starts its loops; it returns once the
// worker serves. Claiming ends when ctx does; Stop finishes the job.
func (w *Worker) Start(ctx context.Context) error {
	w.mu.Lock()
	again := w.registered
	w.mu.Unlock()
	if again {
		return fmt.Errorf("worker: %w", loops.ErrStarted)
	}
	if err := w.register(ctx); err != nil {
		return err
	}
	if _, err := w.claims.Start(ctx); err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	if _, err := w.bg.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	w.mu.Lock()
	w.registered = true
	w.lastActive = time.Now()
	w.mu.Unlock()
	w.log.Info("worker ready", slog.String("id", w.ID()), slog.String("name", w.name),
		slog.Int("processors", w.slots), slog.Int("gpus", w.gpus.total()), slog.Any("capabilities", w.caps))
	w.bg.Go(w.heartbeatLoop)
	w.bg.Go(w.controlLoop)
	if w.opts.ExitWhenIdle > 0 {
		w.claims.Go(w.idleWatch)
	}
	w.claims.Go(w.claimLoop)
	return nil
}

// Stop stops gracefully: it claims nothing more, hands back attempts that
// have not started their process, lets running ones finish for
// worker_grace_period, then kills the rest and hands them back to the
// queue; then it deregisters and releases the data directory. Idempotent;
// safe after a failed Start.
func (w *Worker) Stop() {
	w.stopOnce.Do(func() {
		defer w.lock.Close()
		defer w.data.Close()
		w.claims.Stop(errStopping)
		w.mu.Lock()
		registered := w.registered
		w.mu.Unlock()
		if !registered {
			w.bg.Stop(nil)
			return
		}
		w.drain()
		w.bg.Stop(nil)
		dctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if n, err := w.q.Deregister(dctx, w.ID()); err != nil {
			w.log.Warn("deregister", slog.Any("err", err))
		} else if n > 0 {
			w.log.Info("handed attempts back to the queue", slog.Int("count", n))
		}
		w.log.Info("worker stopped")
	})
}

func (w *Worker) register(ctx context.Context) error {
	host, _ := os.Hostname()
	id, err := w.q.Register(ctx, queue.WorkerInfo{
		Name: w.name, Host: host, PID: os.Getpid(), Slots: w.slots, GPUs: w.gpus.total(),
		Capabilities: w.caps, Version: version,
	})
	if err != nil {
		return fmt.Errorf("worker: register: %w", err)
	}
	w.mu.Lock()
	w.id = id
	w.mu.Unlock()
	return nil
}

// CapXGBoost is the capability of a worker whose engine can use XGBoost.
const CapXGBoost = "xgboost"

// version is reported at registration; the CLI sets it.
var version = "dev"

// SetVersion sets the version workers report.
func SetVersion(v string) { version = v }

// freeCapacity is the free slots and GPUs now.
func (w *Worker) freeCapacity() (slots, gpus int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.slots - len(w.running), w.gpus.free()
}

// claimLoop claims work while slots are free and blocks on Redis when there
// is none.
func (w *Worker) claimLoop(ctx context.Context) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		free, freeGPUs := w.freeCapacity()
		if free <= 0 {
			select {
			case <-ctx.Done():
				return
			case <-w.slotFree:
			}
			continue
		}
		lease, err := w.q.Claim(ctx, w.ID(), free, freeGPUs)
		switch {
		case err == nil:
			backoff = 100 * time.Millisecond
			w.start(ctx, lease)
		case errors.Is(err, queue.ErrDraining):
			// Resume pushes a wake token; running attempts go on meanwhile.
			if _, err := w.q.WaitForWork(ctx, w.ID(), 5*time.Second); err != nil && ctx.Err() == nil {
				ctxtime.Sleep(ctx, backoff)
			}
		case errors.Is(err, queue.ErrNoWork):
			if _, err := w.q.WaitForWork(ctx, w.ID(), 5*time.Second); err != nil && ctx.Err() == nil {
				w.log.Warn("waiting for work", slog.Any("err", err))
				ctxtime.Sleep(ctx, backoff)
			}
		case errors.Is(err, queue.ErrUnknownWorker):
			w.log.Warn("the queue forgot this worker (silent too long?); registering again")
			if err := w.register(ctx); err != nil && ctx.Err() == nil {
				w.log.Error("register again", slog.Any("err", err))
				ctxtime.Sleep(ctx, backoff)
				backoff = min(backoff*2, 10*time.Second)
			}
		case errors.Is(err, queue.ErrQuarantined):
			w.log.Warn("quarantined after repeated failures; not claiming for a while")
			ctxtime.Sleep(ctx, 5*time.Second)
		case errors.Is(err, queue.ErrNoSlot):
			ctxtime.Sleep(ctx, 100*time.Millisecond)
		default:
			if ctx.Err() != nil {
				return
			}
			w.log.Warn("claim failed; retrying", slog.Any("err", err), slog.Duration("backoff", backoff))
			ctxtime.Sleep(ctx, backoff)
			backoff = min(backoff*2, 10*time.Second)
		}
	}
}

// idleWatch closes w.idle once the worker has run nothing for ExitWhenIdle.
func (w *Worker) idleWatch(ctx context.Context) {
	limit := w.opts.ExitWhenIdle
	tick := min(time.Second, max(limit/20, 10*time.Millisecond))
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		w.mu.Lock()
		idle := len(w.running) == 0
		since := w.lastActive
		w.mu.Unlock()
		if idle && time.Since(since) >= limit {
			w.log.Info("idle; exiting (--exit-when-idle)", slog.Duration("idle", time.Since(since).Round(time.Millisecond)))
			close(w.idle)
			return
		}
	}
}

// drain stops the attempts on this worker: those whose child has not
// started yet (waiting for data, fetching) are stopped at once; running ones
// may finish for the grace period, then are killed. Stopped attempts are
// handed back to the queue.
func (w *Worker) drain() {
	w.mu.Lock()
	n := 0
	for _, at := range w.running {
		if at.proc == nil {
			at.cancel(errStopping)
		} else {
			n++
		}
	}
	w.mu.Unlock()
	if n > 0 {
		w.log.Info("stopping: letting running attempts finish", slog.Int("running", n), slog.Duration("grace", w.cfg.GracePeriod()))
	}
	done := make(chan struct{})
	go func() { w.wg.Wait(); close(done) }()
	t := time.NewTimer(w.cfg.GracePeriod())
	defer t.Stop()
	select {
	case <-done:
		return
	case <-t.C:
	}
	w.killAll(errStopping)
	<-done
}

// kill stops the attempt of experiment id (if it is attempt, or any when 0),
// in whatever phase it is.
func (w *Worker) kill(id string, attemptNo int, why error) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	at := w.running[id]
	if at == nil || (attemptNo != 0 && at.ref.Attempt != attemptNo) {
		return false
	}
	at.cancel(why)
	return true
}
