package server

import (
	"encoding/json"

	"github.com/drover-ml/drover/api"
	"github.com/drover-ml/drover/internal/engine/frame"
	"github.com/drover-ml/drover/internal/engine/spec"
	"github.com/drover-ml/drover/internal/protocol"
	"github.com/drover-ml/drover/internal/store"
)

// This file is the one place where the public REST types of package api
// meet the server's own: the store's rows, the protocol's event lines and
// specs, and the engine's column summaries. Handlers convert here on the way
// in and on the way out; nothing else in the server builds an api value
// from an internal one.

// protocolSpec is a REST spec as the server stores it and hands it on.
func protocolSpec(s api.Spec) protocol.Spec {
	return protocol.Spec{
		DatasetID: s.DatasetID, Name: s.Name, Target: s.Target, Task: s.Task, Scorer: s.Scorer,
		Accuracy: s.Accuracy, Time: s.Time, Interpretability: s.Interpretability, Seed: s.Seed, GPUs: s.GPUs,
		Command: s.Command, Models: s.Models, Params: s.Params, Folds: s.Folds, Priority: s.Priority,
	}
}

// engineSpec is a REST spec as the engine's validator reads it.
func engineSpec(s api.Spec) *spec.Spec {
	return &spec.Spec{Target: s.Target, Task: s.Task, Scorer: s.Scorer, Accuracy: s.Accuracy, Time: s.Time,
		Interpretability: s.Interpretability, GPUs: s.GPUs, Command: s.Command, Models: s.Models, Params: s.Params, Folds: s.Folds}
}

// specData is what the validator needs of a stored dataset: its rows and
// column summaries, with exact class counts where the upload's summary has
// every level (a categorical column of up to ten levels).
func specData(d *store.Dataset) *spec.Data {
	out := &spec.Data{Rows: d.Rows, Columns: make([]spec.Column, len(d.Columns))}
	for i, c := range d.Columns {
		sc := spec.Column{Name: c.Name, Type: c.Type, Missing: c.Missing, Distinct: c.Distinct}
		if h := c.Histogram; c.Type == "categorical" && h != nil && len(h.Labels) == c.Distinct && len(h.Counts) == len(h.Labels) {
			sc.Counts = make(map[string]int, len(h.Labels))
			for j, l := range h.Labels {
				sc.Counts[l] = h.Counts[j]
			}
		}
		out.Columns[i] = sc
	}
	return out
}

func apiSpec(s protocol.Spec) api.Spec {
	return api.Spec{
		DatasetID: s.DatasetID, Name: s.Name, Target: s.Target, Task: s.Task, Scorer: s.Scorer,
		Accuracy: s.Accuracy, Time: s.Time, Interpretability: s.Interpretability, Seed: s.Seed, GPUs: s.GPUs,
		Command: s.Command, Models: s.Models, Params: s.Params, Folds: s.Folds, Priority: s.Priority,
	}
}

func apiError(e *protocol.Error) *api.Error {
	if e == nil {
		return nil
	}
	return &api.Error{Code: e.Code, Message: e.Message}
}

// apiSummary decodes the engine's summary as the REST type (same JSON names);
// nil when there is none or it cannot be read.
func apiSummary(raw json.RawMessage) *api.Summary {
	if len(raw) == 0 {
		return nil
	}
	var s api.Summary
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil
	}
	// A command's summary (task "command", its seconds) has no
	// leaderboard: empty, not null, as the API document says.
	if s.Leaderboard == nil {
		s.Leaderboard = []api.LeaderboardEntry{}
	}
	for i := range s.Leaderboard {
		if s.Leaderboard[i].Params == nil {
			s.Leaderboard[i].Params = map[string]string{}
		}
	}
	if s.Best.Params == nil {
		s.Best.Params = map[string]string{}
	}
	return &s
}

// apiExperiment is a stored experiment as users see it. The queue place and
// wait reason are filled in later by annotate.
func apiExperiment(e *store.Experiment) *api.Experiment {
	return &api.Experiment{
		ID: e.ID, Spec: apiSpec(e.Spec), Status: string(e.Status), FailureKind: string(e.FailureKind), Error: apiError(e.Error),
		Attempt: e.Attempt, Worker: e.Worker, WorkerName: e.WorkerName, Queue: e.Queue, Owner: e.Owner, Tags: e.Tags,
		Progress: e.Progress, Message: e.Message, Summary: apiSummary(e.Summary),
		CreatedAt: e.CreatedAt, StartedAt: e.StartedAt, FinishedAt: e.FinishedAt,
	}
}

func apiExperiments(list []*store.Experiment) []*api.Experiment {
	out := make([]*api.Experiment, len(list))
	for i, e := range list {
		out[i] = apiExperiment(e)
	}
	return out
}

// apiEvent is a stored event as the events API and the SSE stream show it.
func apiEvent(ev store.Event) api.Event {
	return api.Event{
		Seq: ev.Seq, Time: ev.Time, Type: string(ev.Type), Attempt: ev.Attempt, Fraction: ev.Fraction, Level: ev.Level,
		Message: ev.Message, Status: string(ev.Status), FailureKind: string(ev.FailureKind), Error: apiError(ev.Error),
		Summary: ev.Summary, Bytes: ev.Bytes, CacheHit: ev.CacheHit, Actor: ev.Actor,
		Plan: apiPlan(ev.Plan), Candidate: apiCandidate(ev.Candidate),
	}
}

func apiPlan(p *protocol.Plan) *api.Plan {
	if p == nil {
		return nil
	}
	return &api.Plan{Task: p.Task, Scorer: p.Scorer, BudgetSeconds: p.BudgetSeconds, Rows: p.Rows, Features: p.Features}
}

func apiCandidate(c *protocol.Candidate) *api.Candidate {
	if c == nil {
		return nil
	}
	return &api.Candidate{Model: c.Model, Params: c.Params, CVScore: c.CVScore, CVStd: c.CVStd,
		FitSeconds: c.FitSeconds, ElapsedSeconds: c.ElapsedSeconds}
}

func apiEvents(evs []store.Event) []api.Event {
	out := make([]api.Event, len(evs))
	for i, ev := range evs {
		out[i] = apiEvent(ev)
	}
	return out
}

func apiDataset(d *store.Dataset) *api.Dataset {
	out := &api.Dataset{ID: d.ID, Name: d.Name, SHA256: d.SHA256, Size: d.Size, Rows: d.Rows, CreatedAt: d.CreatedAt,
		Owner: d.Owner, Shared: d.Shared}
	if d.Columns != nil {
		out.Columns = make([]api.Column, len(d.Columns))
	}
	for i, c := range d.Columns {
		out.Columns[i] = api.Column{Name: c.Name, Type: c.Type, Missing: c.Missing, Distinct: c.Distinct}
		if h := c.Histogram; h != nil {
			out.Columns[i].Histogram = &api.Histogram{Edges: h.Edges, Labels: h.Labels, Counts: h.Counts}
		}
	}
	return out
}

// storeColumns keeps the engine's column summaries of an upload.
func storeColumns(cols []frame.ColumnSummary) []store.Column {
	if cols == nil {
		return nil
	}
	out := make([]store.Column, len(cols))
	for i, c := range cols {
		out[i] = store.Column{Name: c.Name, Type: c.Type, Missing: c.Missing, Distinct: c.Distinct}
		if h := c.Histogram; h != nil {
			out[i].Histogram = &store.Histogram{Edges: h.Edges, Labels: h.Labels, Counts: h.Counts}
		}
	}
	return out
}
