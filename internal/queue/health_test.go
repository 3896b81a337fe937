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
		kind    string
	}{
		{"nothing online", nil, cpuJob, "no worker online", WaitNoWorker},
		{"only a silent worker", []WorkerState{{Slots: 2, LastSeen: stale}}, cpuJob, "no worker online", WaitNoWorker},
		{"only a quarantined worker", []WorkerState{{Slots: 2, LastSeen: fresh, QuarantinedUntil: now.Add(time.Minute)}}, cpuJob, "no worker online", WaitNoWorker},
		{"no gpu worker", []WorkerState{cpuW(2, 0)}, gpuJob(1), "no GPU worker online", WaitNoGPU},
		{"gpu worker too small", []WorkerState{gpuW(1, 1)}, gpuJob(2), "no worker with 2 GPUs", WaitNoGPU},
		{"gpus busy", []WorkerState{gpuW(2, 1)}, gpuJob(2), "no worker with 2 free GPUs", WaitBusy},
		{"command not allowed", []WorkerState{cpuW(2, 0)}, cmdJob, "needs a worker with allow_command_experiments", WaitCapability},
		{"other capability", []WorkerState{cpuW(2, 0)}, PendingJob{Caps: []string{"fpga"}}, "needs a worker with capability fpga", WaitCapability},
		{"all busy", []WorkerState{cpuW(2, 2), cpuW(2, 2)}, cpuJob, "all 4 processors busy", WaitBusy},
		{"one busy processor", []WorkerState{cpuW(1, 1)}, cpuJob, "all 1 processor busy", WaitBusy},
		{"gpu worker busy", []WorkerState{busy(gpuW(1, 0)), cpuW(4, 0)}, gpuJob(1), "all 2 processors busy", WaitBusy},
		{"gpu in use, slot free", []WorkerState{gpuW(1, 0), cpuW(4, 0)}, gpuJob(1), "no worker with 1 free GPU", WaitBusy},
		{"free", []WorkerState{cpuW(2, 1)}, cpuJob, "waiting for a worker to claim it", WaitClaiming},
		{"command allowed", []WorkerState{gpuW(1, 1, CapCommand)}, cmdJob, "waiting for a worker to claim it", WaitClaiming},
	} {
		s := &Snapshot{Now: now, Workers: c.workers, Pending: []PendingJob{c.job}}
		got := Positions(s, 10*time.Second)[c.job.ID]
		if got.Reason != c.want || got.Kind != c.kind {
			t.Errorf("%s: %q (%s), want %q (%s)", c.name, got.Reason, got.Kind, c.want, c.kind)
		}
		if NeedsPerson(got.Kind) != (c.kind == WaitNoWorker || c.kind == WaitNoGPU || c.kind == WaitCapability) {
			t.Errorf("%s: NeedsPerson(%s) = %v", c.name, got.Kind, NeedsPerson(got.Kind))
		}
	}
}

func TestPositionsIndexes(t *testing.T) {
	now := time.Unix(1000, 0)
	s := &Snapshot{Now: now, Pending: []PendingJob{{ID: "c1"}, {ID: "g1", GPUs: 1}, {ID: "c2"}, {ID: "g2", GPUs: 2}, {ID: "c3"}}}
	want := map[string]Position{
		"c1": {"cpu", 1, "normal", 0, "no worker online", WaitNoWorker}, "g1": {"gpu", 1, "normal", 0, "no worker online", WaitNoWorker},
		"c2": {"cpu", 2, "normal", 0, "no worker online", WaitNoWorker}, "g2": {"gpu", 2, "normal", 0, "no worker online", WaitNoWorker},
		"c3": {"cpu", 3, "normal", 0, "no worker online", WaitNoWorker},
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

func TestPositionsPriorityAndQuota(t *testing.T) {
	now := time.Unix(1000, 0)
	w := WorkerState{ID: "w", Slots: 4, LastSeen: now, Running: []Running{{"r1", 1}, {"r2", 1}, {"r3", 1}, {"r4", 1}}}
	s := &Snapshot{Now: now, Workers: []WorkerState{w},
		Pending: []PendingJob{{ID: "h1", Priority: "high", User: "bob"}, {ID: "n1", Priority: "normal", User: "bob"},
			{ID: "n2", Priority: "normal", User: "alice"}, {ID: "l1", Priority: "low", User: "bob"}},
		UserRunning: map[string]int{"alice": 4}, Limits: Limits{Default: 4}}
	got := Positions(s, time.Second)
	for id, want := range map[string]string{
		"h1": "#1 in CPU queue (high): all 4 processors busy",
		"n1": "#2 in CPU queue (normal): 1 high-priority experiment ahead; all 4 processors busy",
		"n2": "#3 in CPU queue (normal): 1 high-priority experiment ahead; alice runs 4 of 4 allowed",
		"l1": "#4 in CPU queue (low): 3 higher-priority experiments ahead; all 4 processors busy",
	} {
		if got[id].String() != want {
			t.Errorf("%s: %q, want %q", id, got[id].String(), want)
		}
	}
	if got["n2"].Kind != WaitQuota || !NeedsPerson(got["n2"].Kind) || got["n1"].Kind != WaitBusy {
		t.Errorf("kinds: n2 %s, n1 %s; want quota and busy", got["n2"].Kind, got["n1"].Kind)
	}
	s.Workers[0].Draining = true
	if r := Positions(s, time.Second)["h1"].Reason; r != "no worker online" {
		t.Errorf("draining worker counted as online: %q", r)
	}
}

func TestPickRule(t *testing.T) {
	c := []Candidate{
		{ID: "a1", Priority: 1, Seq: 1, User: "a"}, {ID: "a2", Priority: 1, Seq: 2, User: "a"},
		{ID: "b1", Priority: 1, Seq: 3, User: "b"}, {ID: "low", Priority: 2, Seq: 0, User: "c"},
		{ID: "hi", Priority: 0, Seq: 9, User: "a"},
	}
	id := func(i int) string {
		if i < 0 {
			return ""
		}
		return c[i].ID
	}
	run := map[string]int{"a": 1}
	cases := []struct {
		name   string
		lim    Limits
		policy string
		want   string
	}{
		{"fifo takes the highest class first", Limits{}, PolicyFIFO, "hi"},
		{"quota skips a's high", Limits{Default: 1}, PolicyFIFO, "b1"},
		{"override lifts a's quota", Limits{Default: 1, Users: map[string]int{"a": 0}}, PolicyFIFO, "hi"},
		{"fair within the class", Limits{Users: map[string]int{"a": 1}}, PolicyFair, "b1"},
		{"an override of 0 is unlimited", Limits{Default: 1, Users: map[string]int{"b": 0, "c": 5}}, PolicyFIFO, "b1"},
	}
	for _, k := range cases {
		if got := id(Pick(c, run, k.lim, k.policy)); got != k.want {
			t.Errorf("%s: %s, want %s", k.name, got, k.want)
		}
	}
	if got := id(Pick(c[:2], map[string]int{"a": 2}, Limits{Default: 2}, PolicyFair)); got != "" {
		t.Errorf("everything over quota: picked %s", got)
	}
	// fair: fewest running first even when older experiments exist
	if got := id(Pick(c[:3], map[string]int{"a": 3, "b": 1}, Limits{}, PolicyFair)); got != "b1" {
		t.Errorf("fair: %s, want b1", got)
	}
	if got := id(Pick(c[:3], map[string]int{"a": 3, "b": 1}, Limits{}, PolicyFIFO)); got != "a1" {
		t.Errorf("fifo: %s, want a1", got)
	}
}
