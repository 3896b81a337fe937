package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/drover-ml/drover/internal/config"
	"github.com/drover-ml/drover/internal/ctxtime"
	"github.com/drover-ml/drover/internal/protocol"
	"github.com/drover-ml/drover/internal/queue"
	"github.com/drover-ml/drover/internal/server"
	"github.com/drover-ml/drover/internal/syncio"
	"github.com/drover-ml/drover/internal/worker"
)

// workerConfig is a singlenode worker's configuration on defaults, pointed
// at the bench Redis, with command experiments allowed and no GPUs.
func (e *env) workerConfig(db int, name string) (*config.Config, error) {
	cfg := config.Default()
	host, port, err := net.SplitHostPort(e.addr)
	if err != nil {
		return nil, err
	}
	cfg.RedisIP = host
	if cfg.RedisPort, err = strconv.Atoi(port); err != nil {
		return nil, err
	}
	cfg.WorkerMode = config.ModeSinglenode
	cfg.RedisDB = db
	cfg.WorkerName = name
	cfg.WorkerGPUs = 0
	cfg.AllowCommandExperiments = true
	cfg.DataDirectory = filepath.Join(e.tmp, "workers", fmt.Sprint(db), name)
	return &cfg, nil
}

// openQueue opens the queue the way the server and `drover worker` do.
func (e *env) openQueue(ctx context.Context, db int) (*queue.Queue, *config.Config, error) {
	cfg, err := e.workerConfig(db, "bench")
	if err != nil {
		return nil, nil, err
	}
	q, err := server.OpenQueue(ctx, cfg, e.log)
	return q, cfg, err
}

// inproc is a drover worker (internal/worker) running in this process with
// its own Redis connections, as a `drover worker` process has.
type inproc struct {
	w      *worker.Worker
	q      *queue.Queue
	cancel context.CancelFunc
	done   chan error
}

func (e *env) startWorker(ctx context.Context, db int, name string) (*inproc, error) {
	cfg, err := e.workerConfig(db, name)
	if err != nil {
		return nil, err
	}
	q, err := server.OpenQueue(ctx, cfg, e.log)
	if err != nil {
		return nil, err
	}
	w, err := worker.New(ctx, cfg, e.log, q, worker.Options{Exe: e.o.Exe})
	if err != nil {
		q.Close()
		return nil, err
	}
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	p := &inproc{w: w, q: q, cancel: cancel, done: make(chan error, 1)}
	go func() { p.done <- w.Run(wctx) }()
	return p, nil
}

// stopWorkers stops in-process workers. A worker blocked waiting for work
// notices its cancelled context only when the wait returns, so one dummy
// enqueue wakes them all at once instead of after the 5 s safety timeout.
func (e *env) stopWorkers(ctx context.Context, db int, ws []*inproc) {
	for _, w := range ws {
		w.cancel()
	}
	if len(ws) > 0 {
		if q, _, err := e.openQueue(ctx, db); err == nil {
			_, _ = q.Enqueue(ctx, queue.Job{ID: "bench-wake-" + strconv.FormatInt(time.Now().UnixNano(), 36)})
			q.Close()
		}
	}
	for _, w := range ws {
		select {
		case <-w.done:
		case <-time.After(15 * time.Second):
		}
		w.q.Close()
	}
}

// waitWorkers waits until n workers are registered and blocked waiting for work.
func waitWaiting(ctx context.Context, q *queue.Queue, n int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		snap, err := q.Snapshot(ctx)
		if err != nil {
			return err
		}
		waiting := 0
		for _, w := range snap.Workers {
			if w.Waiting {
				waiting++
			}
		}
		if waiting >= n {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d of %d workers waiting for work after %v", waiting, n, timeout)
		}
		if err := ctxtime.Sleep(ctx, 10*time.Millisecond); err != nil {
			return err
		}
	}
}

// commandJob is a queued command experiment, as the server's Redis
// dispatcher builds it in singlenode mode.
func (e *env) commandJob(id, command string) (queue.Job, error) {
	a := protocol.Assignment{ExperimentID: id, Spec: protocol.Spec{Command: command}, MaxRetries: config.DefaultMaxRetries,
		ArtifactDir: filepath.Join(e.tmp, "artifacts", id)}
	b, err := json.Marshal(a)
	if err != nil {
		return queue.Job{}, err
	}
	return queue.Job{ID: id, Caps: []string{queue.CapCommand}, Payload: b}, nil
}

// noopJob is a queued engine experiment that is never run (claim + result
// only), with a payload of a realistic size.
func noopJob(id string) queue.Job {
	a := protocol.Assignment{ExperimentID: id, Spec: protocol.Spec{DatasetID: "ds-0123456789abcdef", Target: "y", Task: "auto"},
		DatasetSHA256: strings.Repeat("ab", 32), DatasetSize: 1 << 20, MaxRetries: config.DefaultMaxRetries}
	b, _ := json.Marshal(a)
	return queue.Job{ID: id, Payload: b}
}

// successResult is what a worker reports for a finished experiment.
var successResult = func() []byte {
	b, _ := json.Marshal(protocol.Event{Type: protocol.EventResult, Status: protocol.StatusSucceeded,
		Summary: json.RawMessage(`{"task":"command","metrics":{"seconds":0.001}}`)})
	return b
}()

// proc is a `drover worker` child process.
type proc struct {
	cmd  *exec.Cmd
	done chan struct{}
	log  *syncio.Buffer
}

// startWorkerProc starts `drover worker` on defaults (config from the
// environment, as an operator would set it), in its own directory so that
// no config.toml of the current directory is read.
func (e *env) startWorkerProc(db int, name string) (*proc, error) {
	dir := filepath.Join(e.tmp, "procs", name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	host, port, _ := net.SplitHostPort(e.addr)
	cmd := exec.Command(e.o.Exe, "worker")
	cmd.Dir = dir
	var envv []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DROVER_") {
			envv = append(envv, kv)
		}
	}
	envv = append(envv,
		"DROVER_WORKER_MODE=singlenode",
		"DROVER_REDIS_IP="+host,
		"DROVER_REDIS_PORT="+port,
		"DROVER_REDIS_DB="+strconv.Itoa(db),
		"DROVER_WORKER_NAME="+name,
		"DROVER_WORKER_GPUS=0",
		"DROVER_ALLOW_COMMAND_EXPERIMENTS=true",
		"DROVER_DATA_DIRECTORY="+filepath.Join(dir, "data"),
		"DROVER_LOG_LEVEL=warn",
	)
	cmd.Env = append(envv, e.o.WorkerEnv...)
	p := &proc{cmd: cmd, done: make(chan struct{}), log: &syncio.Buffer{}}
	cmd.Stdout, cmd.Stderr = p.log, p.log
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s worker: %w", e.o.Exe, err)
	}
	go func() { _ = cmd.Wait(); close(p.done) }()
	return p, nil
}

func (p *proc) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// reaper calls queue.ReapExpired every second with the server's
// max_retries, as the server's reap loop does, until stop is called.
func reaper(ctx context.Context, q *queue.Queue, maxRetries int) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			_, _ = q.ReapExpired(ctx, maxRetries)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	})
	return func() { cancel(); wg.Wait() }
}

// ackAll reads and acknowledges everything on the results and events streams.
func ackAll(ctx context.Context, r *queue.Reader, q *queue.Queue) error {
	for {
		msgs, err := r.Read(ctx, 1000, -1)
		if err != nil {
			return err
		}
		if len(msgs) == 0 {
			return nil
		}
		if err := q.Ack(ctx, msgs...); err != nil {
			return err
		}
	}
}

var errTimeout = errors.New("timed out")
