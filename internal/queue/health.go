package queue

import (
	"fmt"
	"strings"
	"time"
)

// Worker health values, as api.Worker.Health shows them.
const (
	Healthy     = "healthy"
	Suspect     = "suspect"
	Unhealthy   = "unhealthy"
	Quarantined = "quarantined"
)

// Health classifies a worker by its last heartbeat: healthy, suspect (silent
// past suspectAfter: gets no new work) or unhealthy (silent past
// unhealthyAfter, i.e. worker_healthy_response_period).
func Health(lastSeen, now time.Time, suspectAfter, unhealthyAfter time.Duration) string {
	silent := now.Sub(lastSeen)
	switch {
	case silent > unhealthyAfter:
		return Unhealthy
	case silent > suspectAfter:
		return Suspect
	default:
		return Healthy
	}
}

// WorkerHealth is Health, with quarantined taking precedence over healthy.
func WorkerHealth(w WorkerState, now time.Time, suspectAfter, unhealthyAfter time.Duration) string {
	h := Health(w.LastSeen, now, suspectAfter, unhealthyAfter)
	if h == Healthy && w.Quarantined(now) {
		return Quarantined
	}
	return h
}

// Position is where a queued experiment stands and why it waits.
type Position struct {
	Queue    string // "cpu" (no GPU needed) or "gpu"
	Index    int    // 1-based place in its queue (priority class, then age)
	Priority string // its class: high, normal or low
	Higher   int    // experiments of a higher class ahead of it in its queue
	Reason   string // why it is not running yet
	Kind     string // the kind of reason (Wait* constants): what, if anything, a person must do
}

// Kinds of wait reason. The first four never end by themselves (a person
// must start a worker, add GPUs, allow a capability, or raise a quota or
// wait for the user's experiments to end); the others pass as work ends.
const (
	WaitNoWorker   = "no_worker"  // no worker online at all
	WaitNoGPU      = "no_gpu"     // no online worker has that many GPUs
	WaitCapability = "capability" // no online worker has a capability it needs
	WaitQuota      = "quota"      // its owner runs as many as allowed
	WaitBusy       = "busy"       // every processor that could run it is busy
	WaitClaiming   = "claiming"   // a processor is free: about to be claimed
)

// NeedsPerson reports whether a wait of kind k lasts until someone acts.
func NeedsPerson(k string) bool {
	return k == WaitNoWorker || k == WaitNoGPU || k == WaitCapability || k == WaitQuota
}

// String is the place as users read it: "#3 in CPU queue (normal): 1
// high-priority experiment ahead; all 4 processors busy".
func (p Position) String() string {
	out := fmt.Sprintf("#%d in %s queue (%s)", p.Index, strings.ToUpper(p.Queue), p.Priority)
	var why []string
	if p.Higher > 0 {
		what := "higher-priority"
		if p.Priority == PriorityNormal {
			what = "high-priority"
		}
		why = append(why, fmt.Sprintf("%d %s %s ahead", p.Higher, what, plural(p.Higher, "experiment")))
	}
	if p.Reason != "" {
		why = append(why, p.Reason)
	}
	if len(why) > 0 {
		out += ": " + strings.Join(why, "; ")
	}
	return out
}

// capLabel names a capability the way users configure it.
func capLabel(c string) string {
	if c == CapCommand {
		return "allow_command_experiments"
	}
	return "capability " + c
}

// Positions computes each pending experiment's queue, place and wait reason
// from a snapshot. Only healthy, unquarantined, undrained workers (silent no
// longer than suspectAfter) count as online. An owner at its running quota
// is the first reason ("alice runs 4 of 4 allowed").
func Positions(s *Snapshot, suspectAfter time.Duration) map[string]Position {
	out := make(map[string]Position, len(s.Pending))
	var online []WorkerState
	for _, w := range s.Workers {
		if s.Now.Sub(w.LastSeen) <= suspectAfter && !w.Quarantined(s.Now) && !w.Draining {
			online = append(online, w)
		}
	}
	var cpuIdx, gpuIdx int
	// experiments seen so far per queue and class
	seen := map[string]map[string]int{"cpu": {}, "gpu": {}}
	for _, p := range s.Pending {
		pos := Position{Queue: "cpu", Priority: p.Priority}
		if pos.Priority == "" {
			pos.Priority = PriorityNormal
		}
		if p.GPUs > 0 {
			gpuIdx++
			pos.Queue, pos.Index = "gpu", gpuIdx
		} else {
			cpuIdx++
			pos.Index = cpuIdx
		}
		rank, _ := PriorityRank(pos.Priority)
		for r := 0; r < rank; r++ {
			pos.Higher += seen[pos.Queue][PriorityName(r)]
		}
		seen[pos.Queue][pos.Priority]++
		if pos.Reason = QuotaReason(p.User, s.UserRunning, s.Limits); pos.Reason != "" {
			pos.Kind = WaitQuota
		} else {
			pos.Kind, pos.Reason = waitReason(p, online)
		}
		out[p.ID] = pos
	}
	return out
}

func waitReason(p PendingJob, online []WorkerState) (kind, reason string) {
	if len(online) == 0 {
		return WaitNoWorker, "no worker online"
	}
	// Narrow the workers step by step; the first empty step names the reason.
	cands := online
	if p.GPUs > 0 {
		cands = filter(cands, func(w WorkerState) bool { return w.GPUs > 0 })
		if len(cands) == 0 {
			return WaitNoGPU, "no GPU worker online"
		}
		cands = filter(cands, func(w WorkerState) bool { return w.GPUs >= p.GPUs })
		if len(cands) == 0 {
			return WaitNoGPU, fmt.Sprintf("no worker with %d %s", p.GPUs, plural(p.GPUs, "GPU"))
		}
	}
	for _, c := range p.Caps {
		cands = filter(cands, func(w WorkerState) bool { return w.HasCaps([]string{c}) })
		if len(cands) == 0 {
			return WaitCapability, "needs a worker with " + capLabel(c)
		}
	}
	slots := 0
	for _, w := range cands {
		slots += w.Slots
	}
	free := filter(cands, func(w WorkerState) bool { return w.FreeSlots() > 0 })
	if len(free) == 0 {
		return WaitBusy, fmt.Sprintf("all %d %s busy", slots, plural(slots, "processor"))
	}
	if p.GPUs > 0 && len(filter(free, func(w WorkerState) bool { return w.FreeGPUs >= p.GPUs })) == 0 {
		return WaitBusy, fmt.Sprintf("no worker with %d free %s", p.GPUs, plural(p.GPUs, "GPU"))
	}
	return WaitClaiming, "waiting for a worker to claim it"
}

func plural(n int, s string) string {
	if n == 1 {
		return s
	}
	if strings.HasSuffix(s, "s") {
		return s
	}
	return s + "s"
}

func filter(ws []WorkerState, keep func(WorkerState) bool) []WorkerState {
	var out []WorkerState
	for _, w := range ws {
		if keep(w) {
			out = append(out, w)
		}
	}
	return out
}
