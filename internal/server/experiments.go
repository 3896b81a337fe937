package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/drover-ml/drover/api"
	"github.com/drover-ml/drover/internal/engine/spec"
	"github.com/drover-ml/drover/internal/errcode"
	"github.com/drover-ml/drover/internal/protocol"
	"github.com/drover-ml/drover/internal/store"
)

// validateSpec checks an experiment request against its dataset before
// anything is stored, so a bad request never reaches a processor. What a
// valid run is belongs to the engine (spec.Check, the same check a run
// makes on the table it reads); the server adds what only it knows: the
// dataset and this server's worker mode.
func (s *Server) validateSpec(ctx context.Context, sp *api.Spec) error {
	if sp.DatasetID == "" {
		return fieldErr(errcode.BadRequest, "dataset_id", "dataset_id is required")
	}
	sp.Name = cleanExperimentName(sp.Name)
	ds, err := s.store.GetDataset(ctx, sp.DatasetID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !whoCtx(ctx).maySee(ds)) {
		return fieldErr(errcode.DatasetNotFound, "dataset_id", fmt.Sprintf("no dataset with id %q", sp.DatasetID))
	}
	if err != nil {
		return err
	}
	if sp.GPUs > 0 && s.cfg.WorkerMode == "multiprocessing" {
		return fieldErr(errcode.GPUsUnavailable, "gpus", "worker_mode multiprocessing runs experiments on this server's CPUs; GPU experiments need singlenode or multinode workers")
	}
	if sp.Command != "" {
		if !s.cfg.AllowCommandExperiments {
			return errCommandsOff()
		}
		return nil
	}
	es := engineSpec(*sp)
	if err := spec.Check(es, specData(ds)); err != nil {
		return err
	}
	if sp.Command == "" {
		sp.Task = es.Task // normalised: "" is auto
	}
	return nil
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
	s.event(r.Context(), e.ID, protocol.Event{Type: protocol.EventStatus, Status: protocol.StatusQueued, Message: "queued by " + who.Name, Actor: who.Name})
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

// annotate fills the queue place and the wait reason of the queued ones
// among list into out (out[i] is list[i] as users see it), from the queue
// view (positions.go): no pass over the queue per request.
func (s *Server) annotate(ctx context.Context, list []*store.Experiment, out []*api.Experiment) {
	if !slices.ContainsFunc(list, func(e *store.Experiment) bool { return e.Status == protocol.StatusQueued }) {
		return
	}
	v := s.queueView(ctx)
	if v == nil {
		return
	}
	for i, e := range list {
		if p, ok := v.pos[e.ID]; ok && e.Status == protocol.StatusQueued {
			o := out[i]
			o.Queue, o.QueuePosition, o.WaitReason, o.WaitKind = p.Queue, p.Index, p.Reason, p.Kind
			o.HigherPriorityAhead, o.QueuePlace = p.Higher, p.place()
		}
	}
}

// getExperiment is the experiment for the user who asks (ctx): others'
// experiments answer 404, as if they did not exist, except to admins.
func (s *Server) getExperiment(ctx context.Context, id string) (*store.Experiment, error) {
	e, err := s.store.GetExperiment(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !whoCtx(ctx).mayAccess(ownerOf(e))) {
		return nil, apiErr(errcode.NotFound, fmt.Sprintf("no experiment with id %q", id))
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
		s.writeError(w, r, apiErr(errcode.Conflict, fmt.Sprintf("experiment %s already %s", e.ID, e.Status)))
		return
	}
	if err := s.disp.Cancel(r.Context(), e); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.queue.invalidate()
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
		s.writeError(w, r, apiErr(errcode.Conflict, "command experiments have no search to finish early; cancel it instead"))
		return
	}
	if e.Status != protocol.StatusRunning {
		s.writeError(w, r, apiErr(errcode.Conflict, fmt.Sprintf("experiment %s is %s; only a running experiment can be finished", e.ID, e.Status)))
		return
	}
	ok, err := s.disp.Finish(r.Context(), e)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if !ok {
		s.writeError(w, r, apiErr(errcode.Conflict, fmt.Sprintf("experiment %s is between attempts; try again", e.ID)))
		return
	}
	s.event(r.Context(), e.ID, protocol.Event{Type: protocol.EventLog, Level: "info", Attempt: e.Attempt, Message: "finish requested by " + s.who(r).Name, Actor: s.who(r).Name})
	writeJSON(w, http.StatusAccepted, apiExperiment(e))
}
