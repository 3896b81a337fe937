package worker

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/drover-ml/drover/internal/protocol"
	"github.com/drover-ml/drover/internal/queue"
	"github.com/drover-ml/drover/internal/runner"
)

// start runs a claimed attempt in the background.
func (w *Worker) start(ctx context.Context, lease *queue.Lease) {
	claimed := time.Now()
	at, ok := w.admit(ctx, lease, nil)
	if ok {
		w.launch(ctx, at, claimed)
	}
}

// admit checks a claimed lease and gives it a slot and its GPUs. prev, when
// not nil, is the attempt whose result was reported together with the claim
// of lease (CompleteAndClaim): it leaves the slot in the same step, so the
// claim loop is not woken for a slot that is taken again at once. A refused
// lease (malformed, too many GPUs) is reported or handed back here.
func (w *Worker) admit(ctx context.Context, lease *queue.Lease, prev *attempt) (*attempt, bool) {
	ref := lease.Ref
	log := w.log.With(slog.String("experiment", ref.Experiment), slog.Int("attempt", ref.Attempt))
	var a protocol.Assignment
	err := json.Unmarshal(lease.Payload, &a)
	if err == nil && a.ExperimentID != ref.Experiment {
		err = errors.New("experiment id differs from the lease's")
	}
	var at *attempt
	w.mu.Lock()
	if prev != nil {
		prev.cancel(nil)
		w.leave(prev)
	}
	if err == nil {
		if gpus, ok := w.gpus.take(lease.GPUs); ok {
			if old := w.running[ref.Experiment]; old != nil {
				// The queue gave the experiment to a new attempt: the lease
				// of the one still here is gone, whatever phase it is in.
				old.cancel(errLeaseLost)
			}
			at = newAttempt(ctx, ref, &a, gpus)
			w.running[ref.Experiment] = at
		}
	}
	w.mu.Unlock()
	switch {
	case at != nil:
		return at, true
	case err != nil:
		// A foreign or malformed message: refuse it as a user failure (never
		// retried) and keep serving.
		log.Error("malformed assignment rejected", slog.Any("err", err))
		w.report(context.WithoutCancel(ctx), ref, protocol.Event{Type: protocol.EventResult, Status: protocol.StatusFailed, FailureKind: protocol.FailureUser,
			Error: &protocol.Error{Code: "bad_assignment", Message: "the queued message is not a drover assignment"}}, 0)
	default:
		log.Error("claimed an experiment needing more GPUs than free; handing it back", slog.Int("gpus", lease.GPUs))
		_ = w.q.Release(context.WithoutCancel(ctx), ref)
	}
	if prev != nil {
		w.signalSlot()
	}
	return nil, false
}

// launch runs an admitted attempt in its own goroutine. When the attempt's
// result was reported together with the claim of the next experiment, that
// one starts on the same slot, unless the worker is stopping by then: it is
// handed back to the queue.
func (w *Worker) launch(ctx context.Context, at *attempt, claimed time.Time) {
	log := w.log.With(slog.String("experiment", at.ref.Experiment), slog.Int("attempt", at.ref.Attempt))
	w.bg.Go(w.prefetchNext) // off the start path: one Redis round trip
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		var next *queue.Lease
		defer func() {
			if next == nil {
				w.finished(at)
				return
			}
			claimed := time.Now()
			if ctx.Err() != nil {
				// Stopping: nothing new starts here.
				if err := w.q.Release(context.WithoutCancel(ctx), next.Ref); err != nil {
					w.log.Warn("hand back", slog.String("experiment", next.Ref.Experiment), slog.Any("err", err))
				}
				w.finished(at)
				return
			}
			if at.release != nil {
				at.release()
			}
			if nat, ok := w.admit(ctx, next, at); ok {
				w.launch(ctx, nat, claimed)
			}
		}()
		next = w.run(context.WithoutCancel(ctx), ctx, at, claimed, log)
	}()
}

// leave removes the attempt from the running set and frees its GPUs; w.mu held.
func (w *Worker) leave(at *attempt) {
	if w.running[at.ref.Experiment] == at {
		delete(w.running, at.ref.Experiment)
		w.lastActive = time.Now()
	}
	w.gpus.give(at.gpus)
}

// finished frees the attempt's slot and GPUs.
func (w *Worker) finished(at *attempt) {
	at.cancel(nil) // its context's resources; the cause, if any, stays
	if at.release != nil {
		at.release()
	}
	w.mu.Lock()
	w.leave(at)
	w.mu.Unlock()
	w.signalSlot()
}

// signalSlot wakes the claim loop if it waits for a free slot.
func (w *Worker) signalSlot() {
	select {
	case w.slotFree <- struct{}{}:
	default:
	}
}

// emit publishes an event of the attempt to the server.
func (w *Worker) emit(ctx context.Context, ref queue.Ref, ev protocol.Event) {
	if ev.Time.IsZero() {
		ev.Time = time.Now().UTC()
	}
	ev.Attempt = ref.Attempt
	b, err := json.Marshal(ev)
	if err != nil {
		return
	}
	if err := w.q.PublishEvent(ctx, ref, b); err != nil && !errors.Is(err, queue.ErrStaleAttempt) {
		w.log.Debug("publish event", slog.Any("err", err))
	}
}

// run runs the attempt and reports its result. stop is the worker's run
// context: while it is not done, the final result is reported together with
// the claim of the next experiment, which run returns (nil when none).
//
// at.ctx stops the attempt in every phase: waiting for its data, fetching
// it, starting the child, running it. Once it is done, its cause decides
// the outcome (stopped), not what the interrupted phase returned.
func (w *Worker) run(ctx, stop context.Context, at *attempt, claimed time.Time, log *slog.Logger) *queue.Lease {
	ref, a := at.ref, at.a
	events := func(ev protocol.Event) { w.emit(ctx, ref, ev) }
	infra := func(code, msg string) protocol.Event {
		return protocol.Event{Type: protocol.EventResult, Status: protocol.StatusFailed, FailureKind: protocol.FailureInfra, Error: &protocol.Error{Code: code, Message: msg}}
	}
	if a.Spec.Command != "" && !w.cfg.AllowCommandExperiments {
		// Claim matching keeps command experiments from workers without
		// the capability; this is the last check before anything runs.
		log.Warn("command experiment refused: allow_command_experiments is false on this worker")
		w.report(ctx, ref, protocol.Event{Type: protocol.EventResult, Status: protocol.StatusFailed, FailureKind: protocol.FailureUser,
			Error: &protocol.Error{Code: "command_not_allowed", Message: "command experiments are off on worker " + w.name + " (allow_command_experiments = false); it was never run"}}, a.MaxRetries)
		return nil
	}
	dataPath := ""
	if a.DatasetSHA256 != "" || a.DataPath != "" {
		p, release, err := w.data.Dataset(at.ctx, a, ref, events)
		if at.ctx.Err() != nil {
			if err == nil {
				release()
			}
			w.stopped(ctx, at, "fetching its dataset", log)
			return nil
		}
		if err != nil {
			log.Warn("dataset unavailable", slog.Any("err", err))
			w.report(ctx, ref, infra("data_unavailable", err.Error()), a.MaxRetries)
			return nil
		}
		dataPath, at.release = p, release
	}
	out := w.data.OutputDir(a, ref)
	if err := os.MkdirAll(out, 0o755); err != nil {
		w.report(ctx, ref, infra("output_unavailable", err.Error()), a.MaxRetries)
		return nil
	}
	if at.ctx.Err() != nil {
		w.stopped(ctx, at, "starting", log)
		return nil
	}
	job := protocol.Job{ExperimentID: ref.Experiment, Attempt: ref.Attempt, Spec: a.Spec, DataPath: dataPath, OutputDir: out,
		Threads: w.cfg.ThreadsPerExperiment(w.slots)}
	env := []string{"CUDA_VISIBLE_DEVICES=" + joinInts(at.gpus), "DROVER_WORKER=" + w.ID()}
	// The child is killed as soon as at.ctx ends (runner.Start watches it).
	proc, err := runner.Start(at.ctx, job, runner.Options{
		Exe: w.opts.Exe, Env: env, OnEvent: events,
		StderrPath: filepath.Join(out, runner.LogName),
	})
	if err != nil {
		if at.ctx.Err() != nil {
			w.stopped(ctx, at, "starting", log)
			return nil
		}
		w.report(ctx, ref, infra("start_failed", err.Error()), a.MaxRetries)
		return nil
	}
	pickup := time.Since(claimed)
	w.mu.Lock()
	at.proc = proc
	w.mu.Unlock()
	w.emit(ctx, ref, protocol.Event{Type: protocol.EventPickup, Fraction: pickup.Seconds()})
	log.Info("attempt started", slog.Int("pid", proc.PID()), slog.Duration("pickup", pickup), slog.String("gpus", joinInts(at.gpus)))
	outcome := proc.Wait()

	if cause := context.Cause(at.ctx); at.ctx.Err() != nil && (outcome.Status == protocol.StatusCancelled || !errors.Is(cause, errStopping)) {
		// Killed by us, or cancelled / lease lost while it ended by itself:
		// the lease is gone then, so its result would not be accepted. A
		// child that finished on its own while the worker stopped reports
		// its result as usual.
		w.stopped(ctx, at, "running", log)
		return nil
	}
	res := protocol.Event{Type: protocol.EventResult, Status: outcome.Status, FailureKind: outcome.FailureKind, Error: outcome.Error, Summary: outcome.Summary}
	if res.Status == protocol.StatusCancelled {
		// Killed by someone else: treat as an infra failure of this attempt.
		res.Status, res.FailureKind = protocol.StatusFailed, protocol.FailureInfra
	}
	if res.Status == protocol.StatusSucceeded {
		if err := w.data.Publish(ctx, a, ref); err != nil {
			res = infra("publish_failed", "send outputs to the server: "+err.Error())
		}
	}
	if stop.Err() == nil {
		return w.reportAndClaim(ctx, at, res, a.MaxRetries)
	}
	w.report(ctx, ref, res, a.MaxRetries)
	return nil
}

// stopped settles an attempt whose context ended (phase says where it was):
// a cancelled attempt or one whose lease is lost reports nothing (the queue
// accepts nothing of it any more); one stopped by shutdown is handed back to
// the queue.
func (w *Worker) stopped(ctx context.Context, at *attempt, phase string, log *slog.Logger) {
	cause := context.Cause(at.ctx)
	if !errors.Is(cause, errStopping) {
		log.Info("attempt stopped", slog.String("why", cause.Error()), slog.String("phase", phase))
		return
	}
	if err := w.q.Release(ctx, at.ref); err != nil {
		log.Warn("hand back", slog.Any("err", err))
		return
	}
	log.Info("attempt handed back to the queue", slog.String("phase", phase))
}

// report sends the attempt's result; the queue accepts it only from the live attempt.
func (w *Worker) report(ctx context.Context, ref queue.Ref, res protocol.Event, maxRetries int) {
	b, _ := json.Marshal(res)
	var err error
	if res.Status == protocol.StatusSucceeded {
		err = w.q.Complete(ctx, ref, b)
	} else {
		var requeued bool
		requeued, err = w.q.Fail(ctx, ref, string(res.FailureKind), b, maxRetries)
		if err == nil && requeued {
			w.log.Info("attempt failed; experiment re-queued", slog.String("experiment", ref.Experiment), slog.Int("attempt", ref.Attempt))
		}
	}
	switch {
	case errors.Is(err, queue.ErrStaleAttempt):
		w.log.Warn("result of a stale attempt rejected by the queue", slog.String("experiment", ref.Experiment), slog.Int("attempt", ref.Attempt))
	case err != nil:
		w.log.Error("report result", slog.String("experiment", ref.Experiment), slog.Any("err", err))
	default:
		w.log.Info("attempt ended", slog.String("experiment", ref.Experiment), slog.Int("attempt", ref.Attempt),
			slog.String("status", string(res.Status)), slog.String("failure_kind", string(res.FailureKind)))
	}
}

// reportAndClaim reports the attempt's result and claims the next
// experiment for the same slot in one round trip (queue.CompleteAndClaim,
// queue.FailAndClaim). The claim loop handles what it does not: nothing
// queued, no slot, quarantine.
func (w *Worker) reportAndClaim(ctx context.Context, at *attempt, res protocol.Event, maxRetries int) *queue.Lease {
	ref := at.ref
	b, _ := json.Marshal(res)
	w.mu.Lock()
	free, freeGPUs := w.slots-len(w.running)+1, w.gpus.free()+len(at.gpus)
	w.mu.Unlock()
	var next *queue.Lease
	var requeued bool
	var err error
	if res.Status == protocol.StatusSucceeded {
		next, err = w.q.CompleteAndClaim(ctx, ref, b, free, freeGPUs)
	} else {
		requeued, next, err = w.q.FailAndClaim(ctx, ref, string(res.FailureKind), b, maxRetries, free, freeGPUs)
	}
	switch {
	case err == nil, errors.Is(err, queue.ErrNoWork), errors.Is(err, queue.ErrNoSlot), errors.Is(err, queue.ErrDraining),
		errors.Is(err, queue.ErrQuarantined), errors.Is(err, queue.ErrUnknownWorker):
		// The result was accepted; a claim error is the claim loop's business.
		if requeued {
			w.log.Info("attempt failed; experiment re-queued", slog.String("experiment", ref.Experiment), slog.Int("attempt", ref.Attempt))
		} else {
			w.log.Info("attempt ended", slog.String("experiment", ref.Experiment), slog.Int("attempt", ref.Attempt),
				slog.String("status", string(res.Status)), slog.String("failure_kind", string(res.FailureKind)))
		}
	case errors.Is(err, queue.ErrStaleAttempt):
		w.log.Warn("result of a stale attempt rejected by the queue", slog.String("experiment", ref.Experiment), slog.Int("attempt", ref.Attempt))
	default:
		w.log.Error("report result", slog.String("experiment", ref.Experiment), slog.Any("err", err))
	}
	return next
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}
