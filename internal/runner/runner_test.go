package runner_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/drover-ml/drover/internal/protocol"
	"github.com/drover-ml/drover/internal/runner"
)

// The test binary stands in for the drover binary: started as
// "run-experiment --job FILE" it runs the child side.
func TestMain(m *testing.M) {
	runner.MaybeChild()
	goleak.VerifyTestMain(m)
}

func self(t *testing.T) string {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

func commandJob(t *testing.T, command string) protocol.Job {
	dir := t.TempDir()
	return protocol.Job{ExperimentID: "ex_test", Attempt: 1, Spec: protocol.Spec{Command: command},
		DataPath: filepath.Join(dir, "data.csv"), OutputDir: filepath.Join(dir, "out")}
}

type events struct {
	mu  sync.Mutex
	evs []protocol.Event
}

func (e *events) add(ev protocol.Event) { e.mu.Lock(); e.evs = append(e.evs, ev); e.mu.Unlock() }
func (e *events) messages() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var b strings.Builder
	for _, ev := range e.evs {
		b.WriteString(ev.Message + "\n")
	}
	return b.String()
}

func TestCommandSucceedsAndStreamsLogs(t *testing.T) {
	var evs events
	job := commandJob(t, `echo "hello from $DROVER_EXPERIMENT_ID attempt $DROVER_ATTEMPT"; echo model > "$DROVER_OUTPUT_DIR/model.txt"`)
	p, err := runner.Start(context.Background(), job, runner.Options{Exe: self(t), OnEvent: evs.add})
	if err != nil {
		t.Fatal(err)
	}
	out := p.Wait()
	if out.Status != protocol.StatusSucceeded {
		t.Fatalf("status %s (%+v), want succeeded", out.Status, out.Error)
	}
	if !strings.Contains(evs.messages(), "hello from ex_test attempt 1") {
		t.Fatalf("log line missing; got:\n%s", evs.messages())
	}
	if _, err := os.Stat(filepath.Join(job.OutputDir, "model.txt")); err != nil {
		t.Fatalf("output not written: %v", err)
	}
}

func TestCommandFailureIsUserKind(t *testing.T) {
	p, err := runner.Start(context.Background(), commandJob(t, "exit 3"), runner.Options{Exe: self(t)})
	if err != nil {
		t.Fatal(err)
	}
	out := p.Wait()
	if out.Status != protocol.StatusFailed || out.FailureKind != protocol.FailureUser || out.Error.Code != "command_failed" {
		t.Fatalf("got %+v, want failed/user/command_failed", out)
	}
}

// waitForFile waits until path has content (the child wrote a pid).
func waitForPID(t *testing.T, path string) int {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(path); err == nil && strings.HasSuffix(string(b), "\n") {
			pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
			if err == nil {
				return pid
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no pid in %s", path)
	return 0
}

func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil {
		return false
	}
	// A zombie still answers kill(0); read its state.
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	f := strings.Fields(string(b))
	return len(f) > 2 && f[2] != "Z"
}

func waitDead(t *testing.T, pid int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for alive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("process %d still alive", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestKillTakesDownTheWholeGroup(t *testing.T) {
	job := commandJob(t, "")
	pidFile := filepath.Join(t.TempDir(), "pid")
	job.Spec.Command = "sleep 60 & echo $! > " + pidFile + "; wait"
	p, err := runner.Start(context.Background(), job, runner.Options{Exe: self(t)})
	if err != nil {
		t.Fatal(err)
	}
	grandchild := waitForPID(t, pidFile)
	p.Kill("cancelled by a test")
	out := p.Wait()
	if out.Status != protocol.StatusCancelled {
		t.Fatalf("status %s, want cancelled", out.Status)
	}
	waitDead(t, grandchild, 10*time.Second)
}

func TestChildKilledBySignalIsInfra(t *testing.T) {
	job := commandJob(t, "sleep 60")
	p, err := runner.Start(context.Background(), job, runner.Options{Exe: self(t)})
	if err != nil {
		t.Fatal(err)
	}
	// Give the child time to start its command, then kill only the child,
	// as the kernel's OOM killer would.
	time.Sleep(300 * time.Millisecond)
	if err := syscall.Kill(p.PID(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	out := p.Wait()
	if out.Status != protocol.StatusFailed || out.FailureKind != protocol.FailureInfra || out.Error.Code != "child_killed" {
		t.Fatalf("got %+v, want failed/infra/child_killed", out)
	}
	runner.KillGroup(p.PID())
}

// A child whose parent goes silent (stopped, or killed) exits by itself and
// takes everything it started with it.
func TestChildExitsWhenParentGoesSilent(t *testing.T) {
	for _, tc := range []struct {
		name  string
		close bool
	}{{"silent", false}, {"closed", true}} {
		t.Run(tc.name, func(t *testing.T) {
			job := commandJob(t, "")
			pidFile := filepath.Join(t.TempDir(), "pid")
			job.Spec.Command = "sleep 60 & echo $! > " + pidFile + "; wait"
			os.MkdirAll(job.OutputDir, 0o755)
			jobPath := filepath.Join(t.TempDir(), "job.json")
			writeJob(t, jobPath, job)
			cmd := exec.Command(self(t), "run-experiment", "--job", jobPath)
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			stdin, _ := cmd.StdinPipe()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			grandchild := waitForPID(t, pidFile)
			if tc.close {
				stdin.Close()
			}
			err := cmd.Wait()
			if cmd.ProcessState.ExitCode() != runner.ExitParentGone {
				t.Fatalf("child exit %v, want code %d", err, runner.ExitParentGone)
			}
			waitDead(t, grandchild, 10*time.Second)
		})
	}
}

// Once the child has exited, Kill signals nothing: its process group id
// may belong to another process by then. The outcome stands.
func TestKillAfterExitSignalsNothing(t *testing.T) {
	var mu sync.Mutex
	var signalled []int
	defer runner.SetSignalGroup(func(pid int) {
		mu.Lock()
		signalled = append(signalled, pid)
		mu.Unlock()
		runner.KillGroup(pid)
	})()
	p, err := runner.Start(context.Background(), commandJob(t, "true"), runner.Options{Exe: self(t)})
	if err != nil {
		t.Fatal(err)
	}
	if out := p.Wait(); out.Status != protocol.StatusSucceeded {
		t.Fatalf("status %s (%+v), want succeeded", out.Status, out.Error)
	}
	p.Kill("too late")
	p.Kill("too late again")
	mu.Lock()
	n := len(signalled)
	mu.Unlock()
	if n != 0 {
		t.Fatalf("Kill after exit signalled process groups %v", signalled)
	}
	if out := p.Wait(); out.Status != protocol.StatusSucceeded {
		t.Fatalf("after a late Kill: status %s, want succeeded", out.Status)
	}

	// While the child runs, Kill does signal its group.
	q, err := runner.Start(context.Background(), commandJob(t, "sleep 60"), runner.Options{Exe: self(t)})
	if err != nil {
		t.Fatal(err)
	}
	q.Kill("now")
	if out := q.Wait(); out.Status != protocol.StatusCancelled {
		t.Fatalf("status %s, want cancelled", out.Status)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(signalled) != 1 || signalled[0] != q.PID() {
		t.Fatalf("signalled %v, want [%d]", signalled, q.PID())
	}
}

// The context's cause is the kill's message.
func TestContextCauseKills(t *testing.T) {
	ctx, cancel := context.WithCancelCause(context.Background())
	p, err := runner.Start(ctx, commandJob(t, "sleep 60"), runner.Options{Exe: self(t)})
	if err != nil {
		t.Fatal(err)
	}
	cancel(errors.New("lease lost"))
	out := p.Wait()
	if out.Status != protocol.StatusCancelled || out.Error == nil || out.Error.Message != "lease lost" {
		t.Fatalf("got %+v, want cancelled with the cause as message", out)
	}
}
