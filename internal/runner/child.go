package runner

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/drover-ml/drover/internal/config"
	"github.com/drover-ml/drover/internal/engine"
	"github.com/drover-ml/drover/internal/protocol"
)

// Emitter writes JSON-line events to the parent. It is safe for concurrent use.
type Emitter struct {
	mu  sync.Mutex
	w   io.Writer
	log io.Writer // when set, a readable copy of each event (the attempt's experiment.log)
}

// Emit writes one event as a JSON line.
func (e *Emitter) Emit(ev protocol.Event) {
	if ev.Time.IsZero() {
		ev.Time = time.Now().UTC()
	}
	b, err := json.Marshal(ev)
	if err != nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.w.Write(append(b, '\n'))
	if e.log != nil && ev.Type != protocol.EventCandidate { // the engine logs each candidate's score itself
		fmt.Fprintln(e.log, logLine(ev))
	}
}

// logLine is an event as one line of the experiment's log file.
func logLine(ev protocol.Event) string {
	ts := ev.Time.UTC().Format("2006-01-02T15:04:05.000Z")
	switch ev.Type {
	case protocol.EventProgress:
		return fmt.Sprintf("%s progress %3.0f%% %s", ts, ev.Fraction*100, ev.Message)
	case protocol.EventPlan:
		if p := ev.Plan; p != nil {
			return fmt.Sprintf("%s plan task %s, scorer %s, budget %.0fs", ts, p.Task, p.Scorer, p.BudgetSeconds)
		}
	case protocol.EventResult:
		line := fmt.Sprintf("%s result %s", ts, ev.Status)
		if ev.Error != nil {
			line += fmt.Sprintf(" (%s, %s): %s", ev.FailureKind, ev.Error.Code, ev.Error.Message)
		}
		return line
	}
	level := ev.Level
	if level == "" {
		level = "info"
	}
	return fmt.Sprintf("%s %s %s", ts, level, ev.Message)
}

// RunChild is the body of `drover run-experiment --job PATH`: it watches its
// parent through stdin, runs the job and reports events on stdout. It returns
// the process exit code.
func RunChild(jobPath string, stdin io.Reader, stdout io.Writer) int {
	em := &Emitter{w: stdout, log: os.Stderr}
	signal.Ignore(syscall.SIGUSR1) // until the handler below is installed
	b, err := os.ReadFile(jobPath)
	if err != nil {
		em.Emit(failed(protocol.FailureInfra, "job_unreadable", fmt.Sprintf("read job file: %v", err)))
		return 1
	}
	var job protocol.Job
	if err := json.Unmarshal(b, &job); err != nil {
		em.Emit(failed(protocol.FailureInfra, "job_unreadable", fmt.Sprintf("decode job file %s: %v", jobPath, err)))
		return 1
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// SIGUSR1 from the parent means Finish: stop searching, keep the best so
	// far. Installed first, so an early Finish never kills the process.
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	go watchParent(stdin, LivenessTimeout)

	em.Emit(protocol.Event{Type: protocol.EventLog, Level: "info", Attempt: job.Attempt,
		Message: fmt.Sprintf("attempt %d of %s started (pid %d)", job.Attempt, job.ExperimentID, os.Getpid())})
	var res protocol.Event
	if job.Spec.Command != "" {
		res = runCommand(ctx, job, em)
	} else {
		res = runEngine(ctx, job, em, usr1)
	}
	res.Attempt = job.Attempt
	if gone.Load() {
		select {} // parentGone is stopping the group and will exit
	}
	em.Emit(res)
	return 0
}

// watchParent exits the whole process group when the parent closes stdin or
// stays silent past timeout (it was killed or stopped).
func watchParent(stdin io.Reader, timeout time.Duration) {
	alive := make(chan struct{}, 1)
	go func() {
		buf := make([]byte, 64)
		for {
			n, err := stdin.Read(buf)
			if n > 0 {
				select {
				case alive <- struct{}{}:
				default:
				}
			}
			if err != nil {
				parentGone()
				return
			}
		}
	}()
	t := time.NewTimer(timeout)
	for {
		select {
		case <-alive:
			if !t.Stop() {
				<-t.C
			}
			t.Reset(timeout)
		case <-t.C:
			parentGone()
			return
		}
	}
}

// gone is set once the parent is found gone; from then on only parentGone
// decides how this process exits.
var gone atomic.Bool

func parentGone() {
	gone.Store(true)
	fmt.Fprintln(os.Stderr, "drover run-experiment: parent went silent; stopping this experiment and everything it started")
	if pgid := syscall.Getpgrp(); pgid == os.Getpid() {
		killGroupMembers(pgid)
	}
	os.Exit(ExitParentGone)
}

// killGroupMembers sends SIGKILL to every other process of group pgid, so
// this process can still exit with its own code. It scans /proc a few
// times to catch processes forked meanwhile.
func killGroupMembers(pgid int) {
	self := os.Getpid()
	for range 3 {
		entries, err := os.ReadDir("/proc")
		if err != nil {
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			return
		}
		found := false
		for _, e := range entries {
			pid, err := strconv.Atoi(e.Name())
			if err != nil || pid == self {
				continue
			}
			if groupOf(pid) == pgid {
				_ = syscall.Kill(pid, syscall.SIGKILL)
				found = true
			}
		}
		if !found {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// groupOf reads the process group of pid from /proc/PID/stat (-1 if gone).
func groupOf(pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return -1
	}
	// The command name (field 2) may hold spaces; fields after ")" are plain.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return -1
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 3 {
		return -1
	}
	g, err := strconv.Atoi(f[2])
	if err != nil {
		return -1
	}
	return g
}

func failed(kind protocol.FailureKind, code, msg string) protocol.Event {
	return protocol.Event{Type: protocol.EventResult, Status: protocol.StatusFailed, FailureKind: kind, Error: &protocol.Error{Code: code, Message: msg}}
}

func runEngine(ctx context.Context, job protocol.Job, em *Emitter, usr1 <-chan os.Signal) protocol.Event {
	opts, err := EngineOptions(job.Spec)
	if err != nil {
		return failed(protocol.FailureUser, userCode(err), err.Error())
	}
	opts.Threads = job.Threads
	finish := make(chan struct{})
	go func() {
		select {
		case <-usr1:
			em.Emit(protocol.Event{Type: protocol.EventLog, Level: "info", Attempt: job.Attempt, Message: "finish requested: stopping the search, keeping the best model so far"})
			close(finish)
		case <-ctx.Done():
		}
	}()
	opts.Finish = finish
	report := func(ev engine.Event) { em.Emit(eventOf(ev, job.Attempt)) }
	res, err := engine.TrainFile(ctx, job.DataPath, opts, report)
	if err != nil {
		var ue *engine.UserError
		if errors.As(err, &ue) {
			return failed(protocol.FailureUser, ue.Code, ue.Message)
		}
		return failed(protocol.FailureInfra, "engine_error", err.Error())
	}
	if err := res.Save(job.OutputDir); err != nil {
		return failed(protocol.FailureInfra, "save_failed", err.Error())
	}
	sum, _ := json.Marshal(res.Summary)
	return protocol.Event{Type: protocol.EventResult, Status: protocol.StatusSucceeded, Summary: sum}
}

func userCode(err error) string {
	var ue *engine.UserError
	if errors.As(err, &ue) {
		return ue.Code
	}
	return "bad_request"
}

// EngineOptions turns an experiment spec into engine options.
func EngineOptions(s protocol.Spec) (engine.Options, error) {
	o := engine.DefaultOptions()
	o.Target, o.Scorer = s.Target, s.Scorer
	if s.Task != "" {
		o.Task = s.Task
	}
	o.Accuracy, o.Time, o.Interpretability = s.Accuracy, s.Time, s.Interpretability
	o.Seed, o.Models, o.Params = s.Seed, s.Models, s.Params
	if s.Folds != nil {
		o.Folds = *s.Folds
	}
	return o, nil
}

// runCommand runs a bring-your-own-recipe shell command in our process group.
func runCommand(ctx context.Context, job protocol.Job, em *Emitter) protocol.Event {
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", job.Spec.Command)
	cmd.Dir = job.OutputDir
	cmd.Env = append(config.ScrubEnv(os.Environ()),
		"DROVER_DATASET="+job.DataPath,
		"DROVER_OUTPUT_DIR="+job.OutputDir,
		"DROVER_EXPERIMENT_ID="+job.ExperimentID,
		"DROVER_ATTEMPT="+strconv.Itoa(job.Attempt),
	)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return failed(protocol.FailureInfra, "command_failed", err.Error())
	}
	cmd.Stderr = cmd.Stdout
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return failed(protocol.FailureInfra, "command_failed", fmt.Sprintf("start command: %v", err))
	}
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		em.Emit(protocol.Event{Type: protocol.EventLog, Level: "info", Message: sc.Text(), Attempt: job.Attempt})
	}
	err = cmd.Wait()
	secs := time.Since(start).Seconds()
	if err == nil {
		sum, _ := json.Marshal(engine.Summary{Task: "command", Metrics: map[string]float64{"seconds": secs}})
		return protocol.Event{Type: protocol.EventResult, Status: protocol.StatusSucceeded, Summary: sum}
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return failed(protocol.FailureInfra, "command_killed", fmt.Sprintf("command killed by %s", ws.Signal()))
		}
		return failed(protocol.FailureUser, "command_failed", fmt.Sprintf("command exited with code %d", ee.ExitCode()))
	}
	return failed(protocol.FailureInfra, "command_failed", err.Error())
}

// MaybeChild runs the child side and exits when this process was started as
// "<binary> run-experiment --job FILE". Test binaries call it first in
// TestMain so that they can stand in for the drover binary.
func MaybeChild() {
	if len(os.Args) >= 4 && os.Args[1] == "run-experiment" && os.Args[2] == "--job" {
		os.Exit(RunChild(os.Args[3], os.Stdin, os.Stdout))
	}
}

// eventOf is an engine report as a protocol event of attempt.
func eventOf(ev engine.Event, attempt int) protocol.Event {
	out := protocol.Event{Type: protocol.EventType(ev.Type), Fraction: ev.Fraction, Level: ev.Level, Message: ev.Message, Attempt: attempt}
	if p := ev.Plan; p != nil {
		out.Plan = &protocol.Plan{Task: p.Task, Scorer: p.Scorer, BudgetSeconds: p.Budget.Seconds(), Rows: p.Rows, Features: p.Features}
	}
	if e := ev.Entry; e != nil {
		out.Candidate = &protocol.Candidate{Model: e.Model, Params: e.Params, CVScore: e.CVScore, CVStd: e.CVStd,
			FitSeconds: e.FitSeconds, ElapsedSeconds: ev.Elapsed.Seconds()}
	}
	return out
}
