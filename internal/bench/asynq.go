package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hibiken/asynq"

	"github.com/drover-ml/drover/internal/ctxtime"
	"github.com/drover-ml/drover/internal/syncio"
)

// asynq is the benchmark peer: every server below runs on asynq's defaults
// (Concurrency = CPUs, TaskCheckInterval 1 s, lease 30 s, recoverer every
// minute) unless a scenario says otherwise. Only its logger is set, to keep
// the output readable.

func (e *env) asynqOpt(db int) asynq.RedisClientOpt {
	return asynq.RedisClientOpt{Addr: e.addr, DB: db}
}

// asynqLogger writes asynq's warnings and errors to w.
type asynqLogger struct{ w io.Writer }

func (l asynqLogger) Debug(args ...any) {}
func (l asynqLogger) Info(args ...any)  {}
func (l asynqLogger) Warn(args ...any)  { fmt.Fprintln(l.w, append([]any{"asynq warn:"}, args...)...) }
func (l asynqLogger) Error(args ...any) { fmt.Fprintln(l.w, append([]any{"asynq error:"}, args...)...) }
func (l asynqLogger) Fatal(args ...any) {
	fmt.Fprintln(l.w, append([]any{"asynq fatal:"}, args...)...)
	os.Exit(1)
}

// asynqServer starts an asynq server on defaults (concurrency 0 = asynq's
// default) with handler h for every task type.
func (e *env) asynqServer(db, concurrency int, h asynq.HandlerFunc) (*asynq.Server, error) {
	srv := asynq.NewServer(e.asynqOpt(db), asynq.Config{Concurrency: concurrency,
		Logger: asynqLogger{e.o.Log}, LogLevel: asynq.WarnLevel})
	if err := srv.Start(h); err != nil {
		return nil, err
	}
	return srv, nil
}

// asynqKey is the name of one of asynq's per-queue keys for the default queue.
func asynqKey(kind string) string { return "asynq:{default}:" + kind }

// waitAsynqIdle waits until the default queue has nothing pending or active.
func (e *env) waitAsynqIdle(ctx context.Context, db int, timeout time.Duration) error {
	c := e.client(db)
	defer c.Close()
	deadline := time.Now().Add(timeout)
	for {
		p, err := c.LLen(ctx, asynqKey("pending")).Result()
		if err != nil {
			return err
		}
		a, err := c.LLen(ctx, asynqKey("active")).Result()
		if err != nil {
			return err
		}
		if p == 0 && a == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("asynq: %d pending, %d active after %v", p, a, timeout)
		}
		if err := ctxtime.Sleep(ctx, time.Millisecond); err != nil {
			return err
		}
	}
}

// AsynqWorker is the body of the asynq worker process of the recovery
// scenario (`drover-bench asynq-worker`): an asynq server on defaults whose
// handler prints "started TASKID" on out and then blocks. It runs until ctx
// ends.
func AsynqWorker(ctx context.Context, addr string, db int, out io.Writer) error {
	srv := asynq.NewServer(asynq.RedisClientOpt{Addr: addr, DB: db},
		asynq.Config{Logger: asynqLogger{os.Stderr}, LogLevel: asynq.WarnLevel})
	started := make(chan string, 1)
	err := srv.Start(asynq.HandlerFunc(func(hctx context.Context, t *asynq.Task) error {
		id, _ := asynq.GetTaskID(hctx)
		select {
		case started <- id:
		default:
		}
		<-hctx.Done()
		return hctx.Err()
	}))
	if err != nil {
		return err
	}
	for {
		select {
		case id := <-started:
			fmt.Fprintln(out, "started", id)
		case <-ctx.Done():
			srv.Shutdown()
			return nil
		}
	}
}

// asynqProc is the asynq worker process of the recovery scenario.
type asynqProc struct {
	cmd     *exec.Cmd
	done    chan struct{}
	started chan string
	log     *syncio.Buffer
}

func (e *env) startAsynqProc(db int) (*asynqProc, error) {
	dir := filepath.Join(e.tmp, "procs", "asynq")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	cmd := exec.Command(e.o.BenchExe, "asynq-worker", "--redis", e.addr, "--db", strconv.Itoa(db))
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	p := &asynqProc{cmd: cmd, done: make(chan struct{}), started: make(chan string, 4), log: &syncio.Buffer{}}
	cmd.Stderr = p.log
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s asynq-worker: %w", e.o.BenchExe, err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if id, ok := strings.CutPrefix(sc.Text(), "started "); ok {
				p.started <- id
			}
		}
		_ = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

func (p *asynqProc) kill() {
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.done
}
