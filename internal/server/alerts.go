package server

import (
	"fmt"
	"slices"

	"github.com/drover-ml/drover/api"
	"github.com/drover-ml/drover/internal/queue"
	"github.com/drover-ml/drover/internal/store"
)

// alertExperiments is how many experiment ids an alert names.
const alertExperiments = 10

// groupAlerts groups the queued experiments whose wait lasts until someone
// acts (queue.NeedsPerson) by reason: "12 experiments need a GPU and no
// worker online has one"; transient waits (every processor busy) raise
// none. One alert per (kind, reason), in the order their oldest experiment
// was queued (queued is oldest first). The queue view (positions.go)
// computes them with the places.
func groupAlerts(queued []*store.Experiment, pos map[string]Position) []api.Alert {
	out := []api.Alert{}
	index := map[string]int{}
	for _, e := range queued {
		p, ok := pos[e.ID]
		if !ok || !queue.NeedsPerson(p.Kind) {
			continue
		}
		key := p.Kind + "\x00" + p.Reason
		i, seen := index[key]
		if !seen {
			i = len(out)
			index[key] = i
			out = append(out, api.Alert{Kind: p.Kind, Level: alertLevel(p.Kind)})
		}
		a := &out[i]
		a.Count++
		if len(a.Experiments) < alertExperiments {
			a.Experiments = append(a.Experiments, e.ID)
		}
		a.Message = p.Reason // replaced below, once the count is known
	}
	for i := range out {
		out[i].Message = alertMessage(out[i].Kind, out[i].Count, out[i].Message)
	}
	slices.SortStableFunc(out, func(a, b api.Alert) int { return levelRank(a.Level) - levelRank(b.Level) })
	return out
}

func alertLevel(kind string) string {
	if kind == queue.WaitQuota {
		return "warning"
	}
	return "error"
}

func levelRank(level string) int {
	if level == "error" {
		return 0
	}
	return 1
}

// alertMessage says what waits and why, in words a person acts on.
func alertMessage(kind string, n int, reason string) string {
	what, need, wait := fmt.Sprintf("%d experiments", n), "need", "wait"
	if n == 1 {
		what, need, wait = "1 experiment", "needs", "waits"
	}
	switch kind {
	case queue.WaitNoWorker:
		return fmt.Sprintf("%s %s and no worker is online: start `drover worker` on a machine that reaches this server's Redis", what, wait)
	case queue.WaitNoGPU:
		if reason == "no GPU worker online" {
			return fmt.Sprintf("%s %s a GPU and no worker online has one", what, need)
		}
		return fmt.Sprintf("%s %s more GPUs than any worker online has (%s)", what, need, reason)
	case queue.WaitQuota:
		return fmt.Sprintf("%s %s for a quota: %s", what, wait, reason)
	}
	return fmt.Sprintf("%s %s: %s", what, wait, reason)
}
