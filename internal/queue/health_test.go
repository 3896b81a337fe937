package queue

import (
	"testing"
	"time"
)

func TestHealth(t *testing.T) {
	now := time.Unix(1000, 0)
	for _, c := range []struct {
		silent time.Duration
		want   string
	}{
		{0, Healthy},
		{10 * time.Second, Healthy},
		{10*time.Second + time.Millisecond, Suspect},
		{300 * time.Second, Suspect},
		{300*time.Second + time.Millisecond, Unhealthy},
		{-time.Second, Healthy}, // clock skew: last seen "in the future"
	} {
		if got := Health(now.Add(-c.silent), now, 10*time.Second, 300*time.Second); got != c.want {
			t.Errorf("silent %v: %s, want %s", c.silent, got, c.want)
		}
	}
}

func TestPositions(t *testing.T) {
	now := time.Unix(1000, 0)
	fresh, stale := now.Add(-time.Second), now.Add(-time.Minute)
	cpuW := func(slots, running int) WorkerState {
		w := WorkerState{ID: "c", Slots: slots, LastSeen: fresh}
		for range running {
			w.Running = append(w.Running, Running{Experiment: "r"})
		}
		return w
	}
	gpuW := func(gpus, free int, caps ...string) WorkerState {
		return WorkerState{ID: "g", Slots: 2, GPUs: gpus, FreeGPUs: free, Capabilities: caps, LastSeen: fresh}
	}
	busy := func(w WorkerState) WorkerState {
		w.Running = []Running{{Experiment: "r1"}, {Experiment: "r2"}}
		return w
	}
	cpuJob := PendingJob{ID: "x"}
	gpuJob := func(n int) PendingJob { return PendingJob{ID: "x", GPUs: n} }
	cmdJob := PendingJob{ID: "x", Caps: []string{CapCommand}}

	for _, c := range []struct {
		name    string
		workers []WorkerState
		job     PendingJob
		want    string
	}{
		{"nothing online", nil, cpuJob, "no worker online"},
		{"only a silent worker", []WorkerState{{Slots: 2, LastSeen: stale}}, cpuJob, "no worker online"},
		{"only a quarantined worker", []WorkerState{{Slots: 2, LastSeen: fresh, QuarantinedUntil: now.Add(time.Minute)}}, cpuJob, "no worker online"},
		{"no gpu worker", []WorkerState{cpuW(2, 0)}, gpuJob(1), "no GPU worker online"},
		{"gpu worker too small", []WorkerState{gpuW(1, 1)}, gpuJob(2), "no worker with 2 GPUs"},
		{"gpus busy", []WorkerState{gpuW(2, 1)}, gpuJob(2), "no worker with 2 free GPUs"},
		{"command not allowed", []WorkerState{cpuW(2, 0)}, cmdJob, "needs a worker with allow_command_experiments"},
		{"other capability", []WorkerState{cpuW(2, 0)}, PendingJob{Caps: []string{"fpga"}}, "needs a worker with capability fpga"},
		{"all busy", []WorkerState{cpuW(2, 2), cpuW(2, 2)}, cpuJob, "all 4 processors busy"},
		{"one busy processor", []WorkerState{cpuW(1, 1)}, cpuJob, "all 1 processor busy"},
		{"gpu worker busy", []WorkerState{busy(gpuW(1, 0)), cpuW(4, 0)}, gpuJob(1), "all 2 processors busy"},
		{"gpu in use, slot free", []WorkerState{gpuW(1, 0), cpuW(4, 0)}, gpuJob(1), "no worker with 1 free GPU"},
		{"free", []WorkerState{cpuW(2, 1)}, cpuJob, "waiting for a worker to claim it"},
		{"command allowed", []WorkerState{gpuW(1, 1, CapCommand)}, cmdJob, "waiting for a worker to claim it"},
	} {
		s := &Snapshot{Now: now, Workers: c.workers, Pending: []PendingJob{c.job}}
		if got := Positions(s, 10*time.Second)[c.job.ID].Reason; got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

func TestPositionsIndexes(t *testing.T) {
	now := time.Unix(1000, 0)
	s := &Snapshot{Now: now, Pending: []PendingJob{{ID: "c1"}, {ID: "g1", GPUs: 1}, {ID: "c2"}, {ID: "g2", GPUs: 2}, {ID: "c3"}}}
	want := map[string]Position{
		"c1": {"cpu", 1, "no worker online"}, "g1": {"gpu", 1, "no worker online"},
		"c2": {"cpu", 2, "no worker online"}, "g2": {"gpu", 2, "no worker online"},
		"c3": {"cpu", 3, "no worker online"},
	}
	got := Positions(s, time.Second)
	for id, w := range want {
		if got[id] != w {
			t.Errorf("%s: %+v, want %+v", id, got[id], w)
		}
	}
}

func TestClassAndCaps(t *testing.T) {
	caps, err := normCaps([]string{"b", "command", "b"})
	if err != nil || class(2, caps) != "g2|b,command" {
		t.Fatalf("class %q %v", class(2, caps), err)
	}
	for _, bad := range []string{"", "a,b", "a|b", "a b"} {
		if _, err := normCaps([]string{bad}); err == nil {
			t.Errorf("capability %q accepted", bad)
		}
	}
}
