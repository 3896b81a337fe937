package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/drover-ml/drover/api"
	"github.com/drover-ml/drover/internal/engine/metric"
	"github.com/drover-ml/drover/internal/protocol"
	"github.com/drover-ml/drover/internal/store"
)

// Tasks a user may name.
var tasks = []string{"auto", "binary", "multiclass", "regression"}

// Model families the engine knows.
var modelFamilies = []string{"glm", "gbm", "xgboost"}

const maxGPUsPerExperiment = 64

func badSpec(code, format string, args ...any) *api.Error {
	return apiErr(http.StatusBadRequest, code, fmt.Sprintf(format, args...))
}

// validateSpec checks an experiment request against its dataset before
// anything is stored, so a bad request never reaches a processor.
func (s *Server) validateSpec(ctx context.Context, sp *api.Spec) error {
	if sp.DatasetID == "" {
		return badSpec(CodeBadRequest, "dataset_id is required")
	}
	ds, err := s.store.GetDataset(ctx, sp.DatasetID)
	if errors.Is(err, store.ErrNotFound) {
		return apiErr(http.StatusNotFound, "dataset_not_found", fmt.Sprintf("no dataset with id %q", sp.DatasetID))
	}
	if err != nil {
		return err
	}
	for name, v := range map[string]int{"accuracy": sp.Accuracy, "time": sp.Time, "interpretability": sp.Interpretability} {
		if v < 0 || v > 10 {
			return badSpec("dial_out_of_range", "%s must be from 1 to 10 (0 = let drover choose), got %d", name, v)
		}
	}
	if sp.GPUs < 0 || sp.GPUs > maxGPUsPerExperiment {
		return badSpec(CodeBadRequest, "gpus must be from 0 to %d, got %d", maxGPUsPerExperiment, sp.GPUs)
	}
	if sp.GPUs > 0 && s.cfg.WorkerMode == "multiprocessing" {
		return badSpec("gpus_unavailable", "worker_mode multiprocessing runs experiments on this server's CPUs; GPU experiments need singlenode or multinode workers")
	}
	if sp.Command != "" {
		if !s.cfg.AllowCommandExperiments {
			return errCommandsOff()
		}
		return nil
	}
	if sp.Task == "" {
		sp.Task = "auto"
	}
	if !slices.Contains(tasks, sp.Task) {
		return badSpec("unknown_task", "unknown task %q: use one of %s", sp.Task, strings.Join(tasks, ", "))
	}
	if sp.Scorer != "" {
		sc, ok := metric.Get(sp.Scorer)
		if !ok {
			return badSpec("unknown_scorer", "unknown scorer %q: use one of %s", sp.Scorer, strings.Join(metric.Names(), ", "))
		}
		if sp.Task != "auto" && !sc.AppliesTo(sp.Task) {
			return badSpec("scorer_task_mismatch", "scorer %q does not apply to %s tasks", sp.Scorer, sp.Task)
		}
	}
	for _, m := range sp.Models {
		if !slices.Contains(modelFamilies, m) {
			return badSpec("unknown_model", "unknown model %q: use one of %s", m, strings.Join(modelFamilies, ", "))
		}
	}
	if sp.Target == "" {
		return badSpec("target_missing", "target is required: name the column to predict")
	}
	var col *store.Column
	for i := range ds.Columns {
		if ds.Columns[i].Name == sp.Target {
			col = &ds.Columns[i]
		}
	}
	if col == nil {
		return badSpec("target_missing", "target column %q is not in dataset %s (columns: %s)", sp.Target, ds.ID, columnList(ds.Columns))
	}
	switch {
	case col.Missing >= ds.Rows:
		return badSpec("target_all_missing", "target column %q has no values", sp.Target)
	case ds.Rows-col.Missing < 2:
		return badSpec("too_few_rows", "dataset %s has %d row(s) with a target value; at least 2 are needed", ds.ID, ds.Rows-col.Missing)
	case col.Distinct == 1:
		return badSpec("target_constant", "target column %q has a single value: there is nothing to predict", sp.Target)
	}
	return nil
}

func columnList(cols []store.Column) string {
	names := make([]string, 0, len(cols))
	for i, c := range cols {
		if i == 12 {
			names = append(names, fmt.Sprintf("... %d more", len(cols)-12))
			break
		}
		names = append(names, c.Name)
	}
	return strings.Join(names, ", ")
}

func (s *Server) handleCreateExperiment(w http.ResponseWriter, r *http.Request) {
	var sp api.Spec
	if err := decodeJSON(w, r, &sp, maxJSONBody, "experiment request"); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.validateSpec(r.Context(), &sp); err != nil {
		s.writeError(w, r, err)
		return
	}
	who := s.who(r)
	if err := s.admitExperiment(r.Context(), who, &sp); err != nil {
		s.writeError(w, r, err)
		return
	}
	e := &store.Experiment{ID: newID("ex"), Spec: protocolSpec(sp), Status: protocol.StatusQueued, CreatedAt: time.Now().UTC(), Queue: queueOf(protocolSpec(sp)), Owner: who.Name}
	if err := s.store.CreateExperiment(r.Context(), e); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.event(r.Context(), e.ID, protocol.Event{Type: protocol.EventStatus, Status: protocol.StatusQueued, Message: "queued"})
	if err := s.disp.Submit(r.Context(), e); err != nil {
		s.log.Warn("submit failed; the dispatcher will pick it up later", "experiment", e.ID, "err", err)
	}
	s.metrics.created.Inc()
	writeJSON(w, http.StatusCreated, apiExperiment(e))
}

func queueOf(sp protocol.Spec) string {
	if sp.GPUs > 0 {
		return "gpu"
	}
	return "cpu"
}

func (s *Server) handleListExperiments(w http.ResponseWriter, r *http.Request) {
	var statuses []protocol.Status
	if st := r.URL.Query().Get("status"); st != "" {
		for _, v := range strings.Split(st, ",") {
			statuses = append(statuses, protocol.Status(v))
		}
	}
	list, err := s.store.ListExperiments(r.Context(), statuses...)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := apiExperiments(list)
	s.annotate(r.Context(), list, out)
	// Newest first reads best in a list.
	slices.Reverse(out)
	writeJSON(w, http.StatusOK, out)
}

// annotate fills the queue place and the wait reason of the queued ones
// among list into out (out[i] is list[i] as users see it).
func (s *Server) annotate(ctx context.Context, list []*store.Experiment, out []*api.Experiment) {
	var queued []*store.Experiment
	byID := map[string]*api.Experiment{}
	for i, e := range list {
		if e.Status == protocol.StatusQueued {
			queued = append(queued, e)
			byID[e.ID] = out[i]
		}
	}
	if len(queued) == 0 {
		return
	}
	all := queued
	if len(list) < 2 || len(queued) != len(list) {
		// Positions count every queued experiment, not just those listed.
		var err error
		if all, err = s.store.ListExperiments(ctx, protocol.StatusQueued); err != nil {
			return
		}
	}
	pos, err := s.disp.Positions(ctx, all)
	if err != nil {
		s.log.Warn("queue positions unavailable", "err", err)
		return
	}
	for id, e := range byID {
		if p, ok := pos[id]; ok {
			e.Queue, e.QueuePosition, e.WaitReason, e.WaitKind = p.Queue, p.Index, p.Reason, p.Kind
			e.HigherPriorityAhead, e.QueuePlace = p.Higher, p.place()
		}
	}
}

func (s *Server) getExperiment(ctx context.Context, id string) (*store.Experiment, error) {
	e, err := s.store.GetExperiment(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, apiErr(http.StatusNotFound, CodeNotFound, fmt.Sprintf("no experiment with id %q", id))
	}
	return e, err
}

func (s *Server) handleGetExperiment(w http.ResponseWriter, r *http.Request) {
	e, err := s.getExperiment(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := apiExperiment(e)
	s.annotate(r.Context(), []*store.Experiment{e}, []*api.Experiment{out})
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleCancelExperiment(w http.ResponseWriter, r *http.Request) {
	e, err := s.getExperiment(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if e.Status.Terminal() {
		s.writeError(w, r, apiErr(http.StatusConflict, CodeConflict, fmt.Sprintf("experiment %s already %s", e.ID, e.Status)))
		return
	}
	if err := s.disp.Cancel(r.Context(), e); err != nil {
		s.writeError(w, r, err)
		return
	}
	e, err = s.getExperiment(r.Context(), e.ID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, apiExperiment(e))
}

// handleFinishExperiment asks a running AutoML experiment to stop its search
// and finish with the best model found so far.
func (s *Server) handleFinishExperiment(w http.ResponseWriter, r *http.Request) {
	e, err := s.getExperiment(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if e.Spec.Command != "" {
		s.writeError(w, r, apiErr(http.StatusConflict, CodeConflict, "command experiments have no search to finish early; cancel it instead"))
		return
	}
	if e.Status != protocol.StatusRunning {
		s.writeError(w, r, apiErr(http.StatusConflict, CodeConflict, fmt.Sprintf("experiment %s is %s; only a running experiment can be finished", e.ID, e.Status)))
		return
	}
	ok, err := s.disp.Finish(r.Context(), e)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if !ok {
		s.writeError(w, r, apiErr(http.StatusConflict, CodeConflict, fmt.Sprintf("experiment %s is between attempts; try again", e.ID)))
		return
	}
	s.event(r.Context(), e.ID, protocol.Event{Type: protocol.EventLog, Level: "info", Attempt: e.Attempt, Message: "finish requested by a user"})
	writeJSON(w, http.StatusAccepted, apiExperiment(e))
}
