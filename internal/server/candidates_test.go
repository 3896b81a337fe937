package server_test

import (
	"context"
	"testing"

	"github.com/drover-ml/drover/api"
)

// An AutoML run reports its plan once and each candidate as soon as it is
// scored, as typed events: the running view's budget and live leaderboard.
// Every candidate reported is a row of the final leaderboard.
func TestPlanAndCandidateEvents(t *testing.T) {
	h := start(t, newConfig(t))
	ds := h.upload(examples("iris.csv"))
	e := h.wait(h.create(api.Spec{DatasetID: ds.ID, Target: "species", Time: 1, Accuracy: 1}).ID)
	if e.Status != api.StatusSucceeded {
		t.Fatalf("experiment %s: %+v", e.Status, e.Error)
	}
	evs, err := h.cl.Events(context.Background(), e.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	var plans []*api.Plan
	var cands []*api.Candidate
	for _, ev := range evs {
		switch ev.Type {
		case api.EventPlan:
			plans = append(plans, ev.Plan)
		case api.EventCandidate:
			cands = append(cands, ev.Candidate)
		}
	}
	if len(plans) != 1 || plans[0] == nil {
		t.Fatalf("plan events: %+v", plans)
	}
	if p := plans[0]; p.BudgetSeconds <= 0 || p.Scorer != e.Summary.Scorer || p.Task != e.Summary.Task || p.Rows != 150 {
		t.Errorf("plan %+v, summary task %s scorer %s", p, e.Summary.Task, e.Summary.Scorer)
	}
	if len(cands) == 0 {
		t.Fatal("no candidate events")
	}
	prev := 0.0
	for _, c := range cands {
		if c == nil || c.Model == "" {
			t.Fatalf("candidate event without a candidate: %+v", cands)
		}
		if c.ElapsedSeconds < prev {
			t.Errorf("candidates out of order: elapsed %v after %v", c.ElapsedSeconds, prev)
		}
		prev = c.ElapsedSeconds
		found := false
		for _, row := range e.Summary.Leaderboard {
			if row.Model == c.Model && row.CVScore == c.CVScore && row.CVStd == c.CVStd {
				found = true
			}
		}
		if !found {
			t.Errorf("candidate %+v is not on the leaderboard %+v", c, e.Summary.Leaderboard)
		}
	}
}
