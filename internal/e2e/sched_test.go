package e2e

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drover-ml/drover/api"
)

// gate is a command experiment that waits until the file go exists in dir
// (no timing involved), then exits 0.
func gate(dir string) string {
	return "while [ ! -f " + filepath.Join(dir, "go") + " ]; do sleep 0.05; done"
}

func open(t *testing.T, dir string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
}

// A high-priority experiment queued after normal ones starts before them
// on a free processor; the queue place says what is ahead.
func TestHighPriorityStartsBeforeOlderNormal(t *testing.T) {
	c := newCluster(t, nil, allowCommands, "DROVER_WORKER_REMOTE_PROCESSORS=1")
	c.startWorker("w1")
	c.workersOnline(1)
	ds := c.dataset()
	dir := t.TempDir()
	blocker := c.create(api.Spec{DatasetID: ds.ID, Command: gate(dir)})
	c.waitStatus(blocker.ID, 30*time.Second, api.StatusRunning)
	var normal []*api.Experiment
	for range 3 {
		normal = append(normal, c.create(api.Spec{DatasetID: ds.ID, Command: "true"}))
	}
	low := c.create(api.Spec{DatasetID: ds.ID, Command: "true", Priority: "low"})
	high := c.create(api.Spec{DatasetID: ds.ID, Command: "true", Priority: "high"})
	if p := c.get(normal[1].ID).QueuePlace; p != "#3 in CPU queue (normal): 1 high-priority experiment ahead; all 1 processor busy" {
		t.Errorf("queue place of the second normal: %q", p)
	}
	if p := c.get(high.ID).QueuePlace; !strings.HasPrefix(p, "#1 in CPU queue (high)") {
		t.Errorf("queue place of the high one: %q", p)
	}
	open(t, dir)
	all := append([]*api.Experiment{high}, normal...)
	all = append(all, low)
	var started []time.Time
	for _, e := range all {
		f := c.waitStatus(e.ID, 60*time.Second, api.StatusSucceeded, api.StatusFailed)
		if f.Status != api.StatusSucceeded || f.StartedAt == nil {
			t.Fatalf("%s: %s %+v", e.ID, f.Status, f.Error)
		}
		started = append(started, *f.StartedAt)
	}
	for i := 1; i < len(started); i++ {
		if started[i].Before(started[i-1]) {
			t.Fatalf("start order is not high, normal×3 (oldest first), low: %v", started)
		}
	}
}

// Over max_running_per_user an experiment waits with the reason while a
// processor is free; over max_queued_per_user the submit answers 429.
func TestQuotaWaitsAnd429(t *testing.T) {
	c := newCluster(t, nil, allowCommands, "DROVER_WORKER_REMOTE_PROCESSORS=2",
		"DROVER_MAX_RUNNING_PER_USER=1", "DROVER_MAX_QUEUED_PER_USER=2")
	c.startWorker("w1")
	c.workersOnline(1)
	ds := c.dataset()
	dir := t.TempDir()
	a := c.create(api.Spec{DatasetID: ds.ID, Command: gate(dir)})
	c.waitStatus(a.ID, 30*time.Second, api.StatusRunning)
	b := c.create(api.Spec{DatasetID: ds.ID, Command: "true"})
	c.waitFor("b's wait reason", 10*time.Second, func() bool {
		return c.get(b.ID).WaitReason == "admin runs 1 of 1 allowed"
	})
	if got := c.get(b.ID); got.Status != api.StatusQueued || got.Owner != "admin" {
		t.Fatalf("b: %s owner %q", got.Status, got.Owner)
	}
	c.create(api.Spec{DatasetID: ds.ID, Command: "true"})
	_, err := c.cl.CreateExperiment(context.Background(), api.Spec{DatasetID: ds.ID, Command: "true"})
	var ae *api.Error
	if !errors.As(err, &ae) || ae.Status != 429 || ae.Code != "quota_exceeded" {
		t.Fatalf("third queued experiment: want 429 quota_exceeded, got %v", err)
	}
	open(t, dir)
	if f := c.waitStatus(b.ID, 60*time.Second, api.StatusSucceeded, api.StatusFailed); f.Status != api.StatusSucceeded {
		t.Fatalf("b: %s", f.Status)
	}
}

// drover worker drain: the worker takes nothing new, its running experiment
// finishes, new work goes to another worker; System Info says "draining (1
// running)" then "drained"; resume lets it take work again.
func TestDrainFinishesRunningAndSendsNewElsewhere(t *testing.T) {
	c := newCluster(t, nil, allowCommands, "DROVER_WORKER_REMOTE_PROCESSORS=2")
	c.startWorker("wa")
	c.workersOnline(1)
	ds := c.dataset()
	dir := t.TempDir()
	a := c.create(api.Spec{DatasetID: ds.ID, Command: gate(dir)})
	a = c.waitStatus(a.ID, 30*time.Second, api.StatusRunning)
	out, err := run(droverBin, "--server", c.url, "worker", "drain", "wa")
	if err != nil || !strings.Contains(out, "draining (1 running)") {
		t.Fatalf("drover worker drain wa: %v\n%s", err, out)
	}
	b := c.create(api.Spec{DatasetID: ds.ID, Command: "true"})
	c.waitFor("b waits for an undrained worker", 10*time.Second, func() bool {
		return c.get(b.ID).WaitReason == "no worker online"
	})
	c.startWorker("wb")
	fb := c.waitStatus(b.ID, 60*time.Second, api.StatusSucceeded, api.StatusFailed)
	if fb.Status != api.StatusSucceeded || fb.WorkerName != "wb" {
		t.Fatalf("b: %s on %q, want succeeded on wb", fb.Status, fb.WorkerName)
	}
	open(t, dir)
	if fa := c.waitStatus(a.ID, 60*time.Second, api.StatusSucceeded, api.StatusFailed); fa.Status != api.StatusSucceeded || fa.Attempt != 1 {
		t.Fatalf("a on the drained worker: %s attempt %d", fa.Status, fa.Attempt)
	}
	c.waitFor("wa drained", 10*time.Second, func() bool {
		si, err := c.cl.SystemInfo(context.Background())
		if err != nil {
			return false
		}
		for _, w := range si.Workers {
			if w.Name == "wa" {
				return w.State == "drained" && w.Draining
			}
		}
		return false
	})
	// resume: wa takes work again (wb is drained now so only wa can)
	if _, err := c.cl.DrainWorker(context.Background(), "wb"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.cl.ResumeWorker(context.Background(), "wa"); err != nil {
		t.Fatal(err)
	}
	d := c.create(api.Spec{DatasetID: ds.ID, Command: "true"})
	if fd := c.waitStatus(d.ID, 60*time.Second, api.StatusSucceeded, api.StatusFailed); fd.WorkerName != "wa" {
		t.Fatalf("after resume: ran on %q", fd.WorkerName)
	}
	if _, err := c.cl.DrainWorker(context.Background(), "nobody"); err == nil {
		t.Fatal("drain of an unknown worker succeeded")
	}
}

// drover worker --exit-when-idle exits 0 after that long with nothing to do,
// not while an experiment runs.
func TestExitWhenIdle(t *testing.T) {
	c := newCluster(t, nil, allowCommands)
	ds := c.dataset()
	dir := t.TempDir()
	a := c.create(api.Spec{DatasetID: ds.ID, Command: gate(dir)})
	env := append(append([]string{}, c.env...), "DROVER_DATA_DIRECTORY="+t.TempDir(), "DROVER_WORKER_NAME=idle")
	w := startProc(t, "idle", env, "worker", "--exit-when-idle", "1s")
	c.waitStatus(a.ID, 30*time.Second, api.StatusRunning)
	// it runs past the idle limit: a running experiment is not idleness
	time.Sleep(2 * time.Second)
	select {
	case <-w.done:
		t.Fatalf("worker exited while its experiment ran:\n%s", w.Log())
	default:
	}
	open(t, dir)
	c.waitStatus(a.ID, 30*time.Second, api.StatusSucceeded)
	if !w.wait(30 * time.Second) {
		t.Fatal("worker did not exit after 1s idle")
	}
	if code := w.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("exit code %d, want 0\n%s", code, w.Log())
	}
}

// Two users on a shared pool (real server, Redis and worker processes):
// each sees only their own experiments, the admin sees both; fair share
// gives the second processor to the user who runs nothing; a user at the
// running quota waits with the reason while the processor takes another
// user's experiment.
func TestTwoUsersFairShareAndQuota(t *testing.T) {
	const root = "root-token-e2e-0123456789" // at least 16 characters (the server refuses shorter)
	c := newCluster(t, nil, allowCommands, "DROVER_WORKER_REMOTE_PROCESSORS=2", "DROVER_SCHEDULING_POLICY=fair", "DROVER_API_TOKEN="+root)
	c.cl.Token = root
	ctx := context.Background()
	mk := func(name string) *api.Client {
		tok, err := c.cl.CreateUser(ctx, name, false)
		if err != nil {
			t.Fatal(err)
		}
		return c.client(tok.Token)
	}
	alice, bob, carol := mk("alice"), mk("bob"), mk("carol")
	ds := c.dataset()
	if _, err := c.cl.ShareDataset(ctx, ds.ID); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	submit := func(cl *api.Client, n int) []string {
		var ids []string
		for range n {
			e, err := cl.CreateExperiment(ctx, api.Spec{DatasetID: ds.ID, Command: gate(dir)})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, e.ID)
		}
		return ids
	}
	a, b := submit(alice, 3), submit(bob, 2)
	c.startWorker("w1")
	running := func() map[string]bool {
		out := map[string]bool{}
		list, _ := c.cl.ListExperiments(ctx, api.StatusRunning)
		for _, e := range list {
			out[e.ID] = true
		}
		return out
	}
	c.waitFor("two running", 30*time.Second, func() bool { return len(running()) == 2 })
	if r := running(); !r[a[0]] || !r[b[0]] {
		t.Fatalf("fair share: running %v, want alice's first %s and bob's first %s", r, a[0], b[0])
	}
	// each user sees only their own; the admin sees both
	for name, cl := range map[string]*api.Client{"alice": alice, "bob": bob} {
		l, err := cl.ListExperiments(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range l {
			if e.Owner != name {
				t.Fatalf("%s sees %s's experiment %s", name, e.Owner, e.ID)
			}
		}
	}
	if _, err := bob.GetExperiment(ctx, a[0]); err == nil {
		t.Fatal("bob reads alice's experiment")
	}
	if l, _ := c.cl.ListExperiments(ctx, ""); len(l) != 5 {
		t.Fatalf("admin sees %d experiments, want 5", len(l))
	}
	// quota: alice may run one at a time; carol's experiment takes the
	// processor that alice's second cannot
	one := 1
	if _, err := c.cl.SetUserLimits(ctx, "alice", api.UserLimits{MaxRunning: &one}); err != nil {
		t.Fatal(err)
	}
	open(t, dir)
	cid, err := carol.CreateExperiment(ctx, api.Spec{DatasetID: ds.ID, Command: "sleep 0.2"})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range append(a, b...) {
		if f := c.waitStatus(id, 60*time.Second, api.StatusSucceeded, api.StatusFailed); f.Status != api.StatusSucceeded {
			t.Fatalf("%s: %s", id, f.Status)
		}
	}
	if f := c.waitStatus(cid.ID, 60*time.Second, api.StatusSucceeded); f.Owner != "carol" {
		t.Fatalf("carol's experiment owner %q", f.Owner)
	}
}

// Over the running quota an alice experiment waits with the reason while
// a free processor takes bob's.
func TestQuotaTakesTheNextRunnable(t *testing.T) {
	const root = "root-token-e2e-0123456789" // at least 16 characters (the server refuses shorter)
	c := newCluster(t, nil, allowCommands, "DROVER_WORKER_REMOTE_PROCESSORS=2", "DROVER_MAX_RUNNING_PER_USER=1", "DROVER_API_TOKEN="+root)
	c.cl.Token = root
	ctx := context.Background()
	at, _ := c.cl.CreateUser(ctx, "alice", false)
	bt, _ := c.cl.CreateUser(ctx, "bob", false)
	alice, bob := c.client(at.Token), c.client(bt.Token)
	ds := c.dataset()
	if _, err := c.cl.ShareDataset(ctx, ds.ID); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	a1, _ := alice.CreateExperiment(ctx, api.Spec{DatasetID: ds.ID, Command: gate(dir)})
	a2, _ := alice.CreateExperiment(ctx, api.Spec{DatasetID: ds.ID, Command: gate(dir)})
	b1, err := bob.CreateExperiment(ctx, api.Spec{DatasetID: ds.ID, Command: gate(dir)})
	if err != nil {
		t.Fatal(err)
	}
	c.startWorker("w1")
	c.waitStatus(a1.ID, 30*time.Second, api.StatusRunning)
	c.waitStatus(b1.ID, 30*time.Second, api.StatusRunning)
	if e := c.get(a2.ID); e.Status != api.StatusQueued || e.WaitReason != "alice runs 1 of 1 allowed" {
		t.Fatalf("alice's second: %s %q", e.Status, e.WaitReason)
	}
	open(t, dir)
	c.waitStatus(a2.ID, 60*time.Second, api.StatusSucceeded)
}
