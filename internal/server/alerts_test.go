package server

import (
	"strings"
	"testing"

	"github.com/drover-ml/drover/internal/queue"
	"github.com/drover-ml/drover/internal/store"
)

// Only waits that need a person raise alerts; each reason is one alert
// counting its experiments, oldest first, errors before warnings.
func TestGroupAlerts(t *testing.T) {
	var queued []*store.Experiment
	pos := map[string]Position{}
	add := func(id, kind, reason string) {
		queued = append(queued, &store.Experiment{ID: id})
		pos[id] = Position{Kind: kind, Reason: reason}
	}
	add("q1", queue.WaitQuota, "alice runs 4 of 4 allowed")
	add("g1", queue.WaitNoGPU, "no GPU worker online")
	add("b1", queue.WaitBusy, "all 4 processors busy")
	for i := 0; i < 11; i++ {
		add("g"+string(rune('a'+i)), queue.WaitNoGPU, "no GPU worker online")
	}
	add("c1", queue.WaitClaiming, "waiting for a worker to claim it")
	add("g9", queue.WaitNoGPU, "no worker with 4 GPUs")
	queued = append(queued, &store.Experiment{ID: "unknown"}) // no position: no alert

	got := groupAlerts(queued, pos)
	if len(got) != 3 {
		t.Fatalf("%d alerts, want 3: %+v", len(got), got)
	}
	if a := got[0]; a.Kind != queue.WaitNoGPU || a.Level != "error" || a.Count != 12 || len(a.Experiments) != alertExperiments || a.Experiments[0] != "g1" ||
		!strings.Contains(a.Message, "12 experiments need a GPU and no worker online has one") {
		t.Errorf("first alert %+v", a)
	}
	if a := got[1]; a.Kind != queue.WaitNoGPU || a.Count != 1 || !strings.Contains(a.Message, "1 experiment needs more GPUs") || !strings.Contains(a.Message, "no worker with 4 GPUs") {
		t.Errorf("second alert %+v", a)
	}
	if a := got[2]; a.Kind != queue.WaitQuota || a.Level != "warning" || a.Count != 1 || !strings.Contains(a.Message, "alice runs 4 of 4 allowed") {
		t.Errorf("quota alert %+v", a)
	}
	if none := groupAlerts(nil, nil); none == nil || len(none) != 0 {
		t.Errorf("no queue: %#v, want an empty list (JSON [])", none)
	}
}
