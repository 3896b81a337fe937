// Package runner runs one attempt of an experiment as a child process of the
// drover binary (`drover run-experiment`), so that a crash, a cancel or an
// out-of-memory kill takes down one experiment and never the server or worker.
//
// The protocol is described in docs/architecture.md: the parent feeds the
// child a liveness byte on stdin, the child writes JSON-line events on stdout,
// and the whole process group is killed on cancel.
package runner

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/drover-ml/drover/internal/config"
	"github.com/drover-ml/drover/internal/protocol"
)

// Liveness timing of the stdin protocol.
const (
	LivenessInterval = 500 * time.Millisecond
	LivenessTimeout  = 3 * time.Second
	// ExitParentGone is the child's exit code when its parent went silent.
	ExitParentGone = 75
)

// LogName is the file in an attempt's output directory that keeps the
// experiment process's stderr; it travels back with the other artifacts.
const LogName = "experiment.log"

// Options says how to start a child.
type Options struct {
	// Exe is the drover binary; "" means os.Executable().
	Exe string
	// Env is added to the child's environment (e.g. CUDA_VISIBLE_DEVICES).
	Env []string
	// OnEvent receives every progress and log event, in order, from one goroutine.
	OnEvent func(protocol.Event)
	// StderrPath, when set, receives the child's stderr.
	StderrPath string
}

// Outcome is how an attempt ended.
type Outcome struct {
	Status      protocol.Status // protocol.StatusSucceeded or protocol.StatusFailed or protocol.StatusCancelled
	FailureKind protocol.FailureKind
	Error       *protocol.Error
	Summary     json.RawMessage
	ExitCode    int
	Signal      string
}

// Process is a running child.
type Process struct {
	cmd      *exec.Cmd
	done     chan struct{}
	outcome  Outcome
	mu       sync.Mutex
	killed   bool
	killWhy  string
	exited   bool // the child has exited (it may not be reaped yet); no signal goes to its group after
	stopFeed chan struct{}
}

// Start writes the job file into job.OutputDir and starts the child.
func Start(ctx context.Context, job protocol.Job, opts Options) (*Process, error) {
	exe := opts.Exe
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return nil, fmt.Errorf("runner: find own binary: %w", err)
		}
	}
	if err := os.MkdirAll(job.OutputDir, 0o755); err != nil {
		return nil, fmt.Errorf("runner: create output directory: %w", err)
	}
	jobPath := filepath.Join(filepath.Dir(job.OutputDir), fmt.Sprintf(".job-%s-%d.json", job.ExperimentID, job.Attempt))
	b, err := json.Marshal(job)
	if err != nil {
		return nil, fmt.Errorf("runner: encode job: %w", err)
	}
	if err := os.WriteFile(jobPath, b, 0o600); err != nil {
		return nil, fmt.Errorf("runner: write job file: %w", err)
	}
	cmd := exec.Command(exe, "run-experiment", "--job", jobPath)
	// Experiment processes never see the server's or worker's secrets.
	cmd.Env = append(config.ScrubEnv(os.Environ()), config.ScrubEnv(opts.Env)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("runner: stdin pipe: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("runner: stdout pipe: %w", err)
	}
	var stderrFile *os.File
	if opts.StderrPath != "" {
		if stderrFile, err = os.Create(opts.StderrPath); err != nil {
			return nil, fmt.Errorf("runner: create log file: %w", err)
		}
		cmd.Stderr = stderrFile
	}
	if err := cmd.Start(); err != nil {
		if stderrFile != nil {
			stderrFile.Close()
		}
		return nil, fmt.Errorf("runner: start child: %w", err)
	}
	p := &Process{cmd: cmd, done: make(chan struct{}), stopFeed: make(chan struct{})}
	go p.feed(stdin)
	go func() {
		select {
		case <-ctx.Done():
			p.Kill(context.Cause(ctx).Error())
		case <-p.done:
		}
	}()
	go func() {
		defer close(p.done)
		res := readEvents(stdout, opts.OnEvent)
		// The child stays a zombie until Wait reaps it, so its pid (the
		// group's id) cannot be reused before exited is set: Kill signals
		// the group only while it is ours.
		waitExited(cmd.Process.Pid)
		p.mu.Lock()
		p.exited = true
		p.mu.Unlock()
		err := cmd.Wait()
		close(p.stopFeed)
		if stderrFile != nil {
			stderrFile.Close()
		}
		os.Remove(jobPath)
		p.outcome = p.decide(res, err)
	}()
	return p, nil
}

// feed writes the liveness byte until the child ends.
func (p *Process) feed(w io.WriteCloser) {
	defer w.Close()
	t := time.NewTicker(LivenessInterval)
	defer t.Stop()
	for {
		if _, err := w.Write([]byte{'.'}); err != nil {
			return
		}
		select {
		case <-p.stopFeed:
			return
		case <-t.C:
		}
	}
}

// readEvents forwards progress and log events and returns the result line, if any.
func readEvents(r io.Reader, onEvent func(protocol.Event)) *protocol.Event {
	var result *protocol.Event
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	for sc.Scan() {
		line := sc.Bytes()
		var ev protocol.Event
		if err := json.Unmarshal(line, &ev); err != nil || ev.Type == "" {
			ev = protocol.Event{Type: protocol.EventLog, Level: "info", Message: string(line)}
		}
		if ev.Time.IsZero() {
			ev.Time = time.Now().UTC()
		}
		if ev.Type == protocol.EventResult {
			r := ev
			result = &r
			continue
		}
		if onEvent != nil {
			onEvent(ev)
		}
	}
	// Drain whatever is left so the child never blocks on a full pipe.
	io.Copy(io.Discard, r)
	return result
}

func (p *Process) decide(res *protocol.Event, waitErr error) Outcome {
	p.mu.Lock()
	killed, why := p.killed, p.killWhy
	p.mu.Unlock()
	out := Outcome{ExitCode: p.cmd.ProcessState.ExitCode()}
	if ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		out.Signal = ws.Signal().String()
	}
	switch {
	case killed:
		out.Status, out.FailureKind = protocol.StatusCancelled, protocol.FailureCancelled
		out.Error = &protocol.Error{Code: "killed", Message: why}
	case res != nil && (res.Status == protocol.StatusSucceeded || res.Status == protocol.StatusFailed):
		out.Status, out.FailureKind, out.Error, out.Summary = res.Status, res.FailureKind, res.Error, res.Summary
		if out.Status == protocol.StatusFailed && out.FailureKind == "" {
			out.FailureKind = protocol.FailureInfra
		}
	case out.Signal != "":
		out.Status, out.FailureKind = protocol.StatusFailed, protocol.FailureInfra
		msg := "experiment process killed by " + out.Signal
		if out.Signal == syscall.SIGKILL.String() {
			msg += " (out of memory, or killed by the system)"
		}
		out.Error = &protocol.Error{Code: "child_killed", Message: msg}
	case out.ExitCode == ExitParentGone:
		out.Status, out.FailureKind = protocol.StatusFailed, protocol.FailureInfra
		out.Error = &protocol.Error{Code: "parent_gone", Message: "experiment process stopped: its supervisor went silent"}
	default:
		out.Status, out.FailureKind = protocol.StatusFailed, protocol.FailureInfra
		msg := fmt.Sprintf("experiment process exited with code %d without a result", out.ExitCode)
		if waitErr != nil && !errors.As(waitErr, new(*exec.ExitError)) {
			msg += ": " + waitErr.Error()
		}
		out.Error = &protocol.Error{Code: "child_crashed", Message: msg}
	}
	return out
}

// PID is the child's process id (and process group id).
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Done is closed when the child has ended and its outcome is known.
func (p *Process) Done() <-chan struct{} { return p.done }

// Wait blocks until the child ends and returns its outcome.
func (p *Process) Wait() Outcome {
	<-p.done
	return p.outcome
}

// Kill kills the child's whole process group with SIGKILL. The outcome is
// then cancelled with why as its message. Safe to call more than once, and
// at any time: once the child has exited it does nothing (its outcome
// stands, and its process group id may belong to someone else soon).
func (p *Process) Kill(why string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.exited {
		return
	}
	if !p.killed {
		p.killed, p.killWhy = true, why
	}
	signalGroup(p.cmd.Process.Pid)
}

// signalGroup is KillGroup; tests replace it to see which signals go out.
var signalGroup = KillGroup

// Finish asks the child to stop searching and keep the best model so far
// (SIGUSR1 to the child only; the attempt then ends with its usual result).
func (p *Process) Finish() {
	_ = p.cmd.Process.Signal(syscall.SIGUSR1)
}

// KillGroup sends SIGKILL to the process group led by pid.
func KillGroup(pid int) {
	if pid > 0 {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
	}
}
