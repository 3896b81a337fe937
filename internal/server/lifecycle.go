package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/drover-ml/drover/internal/protocol"
	"log/slog"
	"time"

	"github.com/drover-ml/drover/internal/engine"
	"github.com/drover-ml/drover/internal/store"
)

// event stores an event of an experiment and wakes its readers.
func (s *Server) event(ctx context.Context, id string, ev protocol.Event) {
	if ev.Time.IsZero() {
		ev.Time = time.Now().UTC()
	}
	if _, err := s.store.AppendEvent(ctx, id, ev); err != nil {
		s.log.Warn("store event", slog.String("experiment", id), slog.Any("err", err))
	}
	if ev.Type == protocol.EventStatus {
		// An experiment was queued, started or ended: the queue changed.
		s.queue.invalidate()
	}
	s.hub.notify(id)
}

// progress records a progress or log event of the current attempt; events of
// any other attempt are dropped (a stale attempt has no say).
func (s *Server) progress(ctx context.Context, id string, attempt int, ev protocol.Event) bool {
	ev.Attempt = attempt
	if ev.Type == protocol.EventProgress {
		_, err := s.store.UpdateExperiment(ctx, id, func(e *store.Experiment) error {
			if e.Attempt != attempt || e.Status != protocol.StatusRunning {
				return errStale
			}
			e.Progress, e.Message = ev.Fraction, ev.Message
			return nil
		})
		if err != nil {
			return false
		}
	} else if e, err := s.store.GetExperiment(ctx, id); err != nil || e.Attempt > attempt {
		// Logs of a newer attempt may arrive before its start is recorded;
		// those of an older one are stale.
		return false
	}
	s.event(ctx, id, ev)
	return true
}

var errStale = fmt.Errorf("stale attempt")

// markRunning records that attempt of id started on worker.
func (s *Server) markRunning(ctx context.Context, id string, attempt int, worker, workerName string, at time.Time) error {
	var waited time.Duration
	prio := "normal"
	_, err := s.store.UpdateExperiment(ctx, id, func(e *store.Experiment) error {
		if e.Status.Terminal() {
			return errStale
		}
		e.Status, e.Attempt, e.Worker, e.WorkerName = protocol.StatusRunning, attempt, worker, workerName
		e.Progress, e.Message, e.Error, e.FailureKind = 0, "starting", nil, ""
		if e.StartedAt == nil {
			t := at.UTC()
			e.StartedAt = &t
			waited = at.Sub(e.CreatedAt)
		}
		if e.Spec.Priority != "" {
			prio = e.Spec.Priority
		}
		return nil
	})
	if err != nil {
		return err
	}
	if waited > 0 {
		s.metrics.wait.WithLabelValues(prio).Observe(waited.Seconds())
	}
	if err := s.store.StartAttempt(ctx, id, attempt, worker, at); err != nil {
		s.log.Warn("record attempt", slog.Any("err", err))
	}
	s.event(ctx, id, protocol.Event{Type: protocol.EventStatus, Status: protocol.StatusRunning, Attempt: attempt,
		Message: fmt.Sprintf("attempt %d started on %s", attempt, workerLabel(worker, workerName))})
	return nil
}

// finish applies how an attempt ended. When retry is true a failed attempt
// goes back to the queue instead of failing the experiment. It returns false
// when the result belongs to an attempt that is no longer current (it is
// then ignored and counted as a rejected stale result).
func (s *Server) finish(ctx context.Context, id string, attempt int, res protocol.Event, retry bool) bool {
	now := time.Now().UTC()
	var status protocol.Status
	var runFor time.Duration
	_, err := s.store.UpdateExperiment(ctx, id, func(e *store.Experiment) error {
		if e.Attempt != attempt || e.Status.Terminal() {
			return errStale
		}
		if e.StartedAt != nil {
			runFor = now.Sub(*e.StartedAt)
		}
		switch {
		case res.Status == protocol.StatusSucceeded:
			e.Status, e.Progress, e.Message = protocol.StatusSucceeded, 1, "done"
			if len(res.Summary) > 0 {
				// Kept as the engine wrote it, once it reads as a summary.
				var sum engine.Summary
				if err := json.Unmarshal(res.Summary, &sum); err == nil {
					e.Summary, _ = json.Marshal(sum)
				}
			}
		case retry:
			e.Status, e.Message = protocol.StatusQueued, "re-queued after an infra failure"
		case res.Status == protocol.StatusCancelled || res.FailureKind == protocol.FailureCancelled:
			e.Status, e.FailureKind = protocol.StatusCancelled, protocol.FailureCancelled
		default:
			e.Status, e.FailureKind = protocol.StatusFailed, res.FailureKind
		}
		e.Error = res.Error
		if e.Status == protocol.StatusSucceeded {
			e.Error = nil
		}
		if e.Status.Terminal() {
			e.FinishedAt = &now
		}
		status = e.Status
		return nil
	})
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			// Deleted since (a late message about a finished experiment).
			return false
		}
		if err != errStale {
			s.log.Error("record result", slog.String("experiment", id), slog.Any("err", err))
		} else {
			s.metrics.staleRejected.Inc()
			s.log.Warn("result of a stale attempt rejected", slog.String("experiment", id), slog.Int("attempt", attempt))
		}
		return false
	}
	outcome := string(res.Status)
	if retry {
		outcome = "retried"
	}
	if err := s.store.FinishAttempt(ctx, id, attempt, outcome, res.FailureKind, now); err != nil {
		s.log.Warn("record attempt end", slog.Any("err", err))
	}
	msg := fmt.Sprintf("attempt %d %s", attempt, res.Status)
	if res.Error != nil {
		msg += ": " + res.Error.Message
	}
	if retry {
		msg = fmt.Sprintf("attempt %d failed (%s: %s); re-queued for attempt %d", attempt, res.FailureKind, errMessage(res.Error), attempt+1)
	}
	s.event(ctx, id, protocol.Event{Type: protocol.EventStatus, Status: status, Attempt: attempt, FailureKind: res.FailureKind, Error: res.Error, Message: msg,
		Actor: res.Actor})
	s.metrics.finished.WithLabelValues(string(status)).Inc()
	if status.Terminal() && runFor > 0 {
		s.metrics.run.Observe(runFor.Seconds())
	}
	s.log.Info("attempt ended", slog.String("experiment", id), slog.Int("attempt", attempt), slog.String("status", string(status)), slog.String("failure_kind", string(res.FailureKind)))
	return true
}

func errMessage(e *protocol.Error) string {
	if e == nil {
		return "no detail"
	}
	return e.Message
}

// cancelQueued marks a queued experiment cancelled by user by ("" when the
// queue reports it, the user unknown). The event and the count follow only
// a real transition: an experiment that is no longer queued (it started, or
// a second cancel got here first) is left as it is, silently.
func (s *Server) cancelQueued(ctx context.Context, id, by string) error {
	changed := false
	_, err := s.store.UpdateExperiment(ctx, id, func(e *store.Experiment) error {
		if e.Status != protocol.StatusQueued {
			return store.ErrUnchanged
		}
		now := time.Now().UTC()
		e.Status, e.FailureKind, e.FinishedAt = protocol.StatusCancelled, protocol.FailureCancelled, &now
		changed = true
		return nil
	})
	if err != nil || !changed {
		return err
	}
	msg := "cancelled while queued"
	if by != "" {
		msg = "cancelled by " + by + " while queued"
	}
	s.event(ctx, id, protocol.Event{Type: protocol.EventStatus, Status: protocol.StatusCancelled, Message: msg, Actor: by})
	s.metrics.finished.WithLabelValues(string(protocol.StatusCancelled)).Inc()
	return nil
}

// cancelAttempt records the cancellation of attempt, which a worker
// claimed (at started, on worker) while the store has not yet heard of it:
// the experiment ends cancelled with that attempt, which is recorded
// started and cancelled. The claim's "started" message, when it comes, then
// finds the experiment finished and changes nothing.
func (s *Server) cancelAttempt(ctx context.Context, id string, attempt int, worker, workerName string, started time.Time, by string) {
	now := time.Now().UTC()
	if started.IsZero() {
		started = now
	}
	msg := "cancelled by " + by
	changed := false
	_, err := s.store.UpdateExperiment(ctx, id, func(e *store.Experiment) error {
		if e.Status.Terminal() || e.Attempt >= attempt {
			return store.ErrUnchanged
		}
		e.Status, e.FailureKind, e.FinishedAt = protocol.StatusCancelled, protocol.FailureCancelled, &now
		e.Attempt, e.Worker, e.WorkerName = attempt, worker, workerName
		e.Error = &protocol.Error{Code: "cancelled", Message: msg}
		if e.StartedAt == nil {
			t := started.UTC()
			e.StartedAt = &t
		}
		changed = true
		return nil
	})
	if err != nil || !changed {
		if err != nil {
			s.log.Warn("record cancel", slog.String("experiment", id), slog.Any("err", err))
		}
		return
	}
	if err := s.store.StartAttempt(ctx, id, attempt, worker, started); err != nil {
		s.log.Warn("record attempt", slog.Any("err", err))
	}
	if err := s.store.FinishAttempt(ctx, id, attempt, string(protocol.StatusCancelled), protocol.FailureCancelled, now); err != nil {
		s.log.Warn("record attempt end", slog.Any("err", err))
	}
	s.event(ctx, id, protocol.Event{Type: protocol.EventStatus, Status: protocol.StatusCancelled, Attempt: attempt,
		FailureKind: protocol.FailureCancelled, Error: &protocol.Error{Code: "cancelled", Message: msg},
		Message: fmt.Sprintf("attempt %d cancelled: %s (it had just started on %s)", attempt, msg, workerLabel(worker, workerName)), Actor: by})
	s.metrics.finished.WithLabelValues(string(protocol.StatusCancelled)).Inc()
}

// recoverRunning handles experiments left running by an earlier server
// process: each goes back to the queue, or fails (infra) once its attempts
// are used up, so none stays "running" forever.
func (s *Server) recoverRunning(ctx context.Context) error {
	running, err := s.store.ListExperiments(ctx, protocol.StatusRunning)
	if err != nil {
		return err
	}
	for _, e := range running {
		res := protocol.Event{Type: protocol.EventResult, Status: protocol.StatusFailed, FailureKind: protocol.FailureInfra,
			Error: &protocol.Error{Code: "server_restarted", Message: "the server stopped while this attempt ran"}}
		s.finish(ctx, e.ID, e.Attempt, res, e.Attempt <= s.cfg.MaxRetries)
	}
	return nil
}

// workerLabel names a worker for people: its name and identity.
func workerLabel(id, name string) string {
	if name == "" || name == id {
		return id
	}
	return name + " (" + id + ")"
}
