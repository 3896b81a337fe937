package server

import (
	"context"
	"log/slog"
	"time"

	"github.com/drover-ml/drover/api"
	"github.com/drover-ml/drover/internal/errcode"
	"github.com/drover-ml/drover/internal/protocol"
	"github.com/drover-ml/drover/internal/store"
)

// The command switch (allow_command_experiments) is checked three times:
// when an experiment is submitted (in every worker mode), when a processor
// is about to run one (the local dispatcher here, the worker in package
// worker), and when the server starts, for what an earlier configuration
// queued. A command experiment that meets a processor which may not run it
// fails with command_not_allowed and never runs.

// errCommandsOff is the submit-time refusal.
func errCommandsOff() *api.Error {
	return apiErr(errcode.CommandNotAllowed,
		"command experiments are off on this server: set allow_command_experiments = true (and on the workers that should run them)")
}

// commandRefused is the failure recorded for a queued command experiment
// that may not run.
func commandRefused() *protocol.Error {
	return &protocol.Error{Code: errcode.CommandNotAllowed,
		Message: "command experiments are off on this server (allow_command_experiments = false); this one was never run"}
}

// refuseQueuedCommand fails a queued command experiment with
// command_not_allowed. It reports whether it changed anything.
func (s *Server) refuseQueuedCommand(ctx context.Context, id string) bool {
	_, err := s.store.UpdateExperiment(ctx, id, func(e *store.Experiment) error {
		if e.Status != protocol.StatusQueued || e.Spec.Command == "" {
			return store.ErrUnchanged
		}
		now := time.Now().UTC()
		e.Status, e.FailureKind, e.Error, e.FinishedAt = protocol.StatusFailed, protocol.FailureUser, commandRefused(), &now
		e.Message = "command experiments are off"
		return nil
	})
	if err != nil {
		if err != store.ErrUnchanged {
			s.log.Error("refuse command experiment", slog.String("experiment", id), slog.Any("err", err))
		}
		return false
	}
	s.event(ctx, id, protocol.Event{Type: protocol.EventStatus, Status: protocol.StatusFailed, FailureKind: protocol.FailureUser,
		Error: commandRefused(), Message: commandRefused().Message})
	s.metrics.finished.WithLabelValues(string(protocol.StatusFailed)).Inc()
	s.log.Warn("queued command experiment refused: allow_command_experiments is false", slog.String("experiment", id))
	return true
}

// refuseQueuedCommands fails every queued command experiment when the
// switch is off; cancel, when set, first takes each out of the Redis queue.
func (s *Server) refuseQueuedCommands(ctx context.Context, cancel func(context.Context, string) error) error {
	if s.cfg.AllowCommandExperiments {
		return nil
	}
	queued, err := s.store.ListExperiments(ctx, protocol.StatusQueued)
	if err != nil {
		return err
	}
	for _, e := range queued {
		if e.Spec.Command == "" {
			continue
		}
		if cancel != nil {
			if err := cancel(ctx, e.ID); err != nil {
				return err
			}
		}
		s.refuseQueuedCommand(ctx, e.ID)
	}
	return nil
}
