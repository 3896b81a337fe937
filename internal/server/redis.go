package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/drover-ml/drover/internal/errcode"
	"github.com/drover-ml/drover/internal/protocol"
	"github.com/drover-ml/drover/internal/store"
	"log/slog"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/drover-ml/drover/api"
	"github.com/drover-ml/drover/internal/blob"
	"github.com/drover-ml/drover/internal/config"
	"github.com/drover-ml/drover/internal/ctxtime"
	"github.com/drover-ml/drover/internal/loops"
	"github.com/drover-ml/drover/internal/queue"
)

// reapInterval is how often the server takes back expired leases.
const reapInterval = time.Second

// reconcileInterval is how often the server checks that Redis knows every
// experiment the store says is queued or running.
const reconcileInterval = 30 * time.Second

// redisDispatcher queues experiments in Redis for `drover worker` processes
// (worker_mode singlenode and multinode) and applies what comes back.
type redisDispatcher struct {
	s   *Server
	q   *queue.Queue
	log *slog.Logger

	names sync.Map // worker identity → name, filled from snapshots

	g         loops.Group // the results reader and the reconcile loop
	reaper    reaper
	closeOnce sync.Once
}

// reaper takes back, every reapInterval, the leases of workers that went
// silent (redisDispatcher.reap).
type reaper struct {
	reap func(context.Context)
	g    loops.Group
}

func (r *reaper) Start(ctx context.Context) error {
	if _, err := r.g.Start(ctx); err != nil {
		return fmt.Errorf("server: reaper: %w", err)
	}
	r.g.Every(reapInterval, r.reap)
	return nil
}

// Stop ends the reaper and waits for a round in progress; idempotent.
func (r *reaper) Stop() { r.g.Stop(nil) }

// OpenQueue connects to the Redis of cfg. It is shared by server and worker.
func OpenQueue(ctx context.Context, cfg *config.Config, log *slog.Logger) (*queue.Queue, error) {
	opts := queue.Options{
		Addr:      cfg.RedisAddr(),
		Password:  cfg.MainServerRedisPassword,
		DB:        cfg.RedisDB,
		Prefix:    cfg.RedisKeyPrefix,
		LeaseTTL:  cfg.LeasePeriod(),
		WorkerTTL: cfg.HealthyResponsePeriod() + time.Minute,
		Logger:    log,
	}
	tc, err := cfg.RedisTLSConfig()
	if err != nil {
		return nil, err
	}
	opts.TLS = tc
	q, err := queue.Open(ctx, opts)
	if hint := redisHint(cfg, err); hint != "" {
		return nil, fmt.Errorf("%w (%s)", err, hint)
	}
	return q, err
}

func newRedisDispatcher(ctx context.Context, s *Server) (Dispatcher, error) {
	log := s.log.With(slog.String("component", "redis-dispatcher"))
	q, err := OpenQueue(ctx, s.cfg, log)
	if err != nil {
		return nil, err
	}
	return &redisDispatcher{s: s, q: q, log: log}, nil
}

func (d *redisDispatcher) Start(ctx context.Context) error {
	if err := d.syncScheduling(ctx); err != nil {
		return fmt.Errorf("server: scheduling settings to redis: %w", err)
	}
	if err := d.s.refuseQueuedCommands(ctx, func(ctx context.Context, id string) error {
		_, err := d.q.Cancel(ctx, id)
		return err
	}); err != nil {
		return fmt.Errorf("server: refuse queued command experiments: %w", err)
	}
	if err := d.reconcile(ctx); err != nil {
		return fmt.Errorf("server: reconcile with redis: %w", err)
	}
	ctx, err := d.g.Start(ctx)
	if err != nil {
		return fmt.Errorf("server: redis dispatcher: %w", err)
	}
	d.g.Go(d.readLoop)
	d.g.Every(reconcileInterval, d.reconcileNow)
	d.reaper.reap = d.reap
	return d.reaper.Start(ctx)
}

// Stop ends the reader, the reconcile loop and the reaper, waits for them
// and closes the queue; idempotent.
func (d *redisDispatcher) Stop() {
	d.reaper.Stop()
	d.g.Stop(nil)
	d.closeOnce.Do(func() { d.q.Close() })
}

// assignment builds the payload a worker receives.
func (d *redisDispatcher) assignment(ctx context.Context, e *store.Experiment) ([]byte, error) {
	a := protocol.Assignment{ExperimentID: e.ID, Spec: e.Spec, MaxRetries: d.s.cfg.MaxRetries}
	if e.Spec.DatasetID != "" {
		ds, err := d.s.store.GetDataset(ctx, e.Spec.DatasetID)
		if err != nil {
			return nil, err
		}
		a.DatasetSHA256, a.DatasetSize = ds.SHA256, ds.Size
		// Datasets uploaded before the server switched to multinode are
		// copied to the object store now. When the store cannot be asked,
		// the experiment is queued all the same: the worker's transfer then
		// fails as infra, is retried, and says why.
		if d.s.objects != nil {
			if _, err := d.s.objects.Stat(ctx, blob.DatasetKey(ds.SHA256)); errors.Is(err, blob.ErrNotFound) {
				if err := d.s.publishDataset(ctx, ds); err != nil {
					return nil, err
				}
			}
		}
		if d.s.cfg.WorkerMode == config.ModeSinglenode {
			a.DataPath = d.s.datasetPath(ds.SHA256)
		}
	}
	if d.s.cfg.WorkerMode == config.ModeSinglenode {
		a.ArtifactDir = d.s.experimentDir(e.ID)
	}
	return json.Marshal(a)
}

func (d *redisDispatcher) Submit(ctx context.Context, e *store.Experiment) error {
	payload, err := d.assignment(ctx, e)
	if err != nil {
		return err
	}
	job := queue.Job{ID: e.ID, GPUs: e.Spec.GPUs, Payload: payload, Attempts: e.Attempt,
		Priority: e.Spec.Priority, User: ownerOf(e)}
	if e.Spec.Command != "" {
		job.Caps = append(job.Caps, queue.CapCommand)
	}
	if slices.Contains(e.Spec.Models, "xgboost") {
		job.Caps = append(job.Caps, "xgboost")
	}
	_, err = d.q.Enqueue(ctx, job)
	return err
}

func (d *redisDispatcher) Cancel(ctx context.Context, e *store.Experiment) error {
	out, err := d.q.CancelAttempt(ctx, e.ID)
	if err != nil {
		return apiErr(errcode.Unavailable, "cannot reach the queue to cancel: "+err.Error())
	}
	d.log.Info("cancel", slog.String("experiment", e.ID), slog.String("found", out.Outcome.String()), slog.Int("attempt", out.Attempt))
	// The cancellation is durable in Redis now; record it in the store at
	// once so the answer shows it (the "cancelled" message that follows on
	// the results stream then finds nothing left to change).
	cur, err := d.s.store.GetExperiment(ctx, e.ID)
	if err != nil {
		return err
	}
	who := whoCtx(ctx).Name
	if out.Outcome == queue.CancelLeased && out.Attempt > cur.Attempt && !cur.Status.Terminal() {
		// A worker claimed it, and the claim's "started" message has not
		// reached the store yet: the attempt that ran (and is now being
		// killed) is Redis's, not the store's older one.
		d.s.cancelAttempt(ctx, e.ID, out.Attempt, out.Worker, d.workerName(ctx, out.Worker), out.Started, who)
		return nil
	}
	switch cur.Status {
	case protocol.StatusQueued:
		return d.s.cancelQueued(ctx, e.ID, who)
	case protocol.StatusRunning:
		d.s.finish(ctx, e.ID, cur.Attempt, cancelledResult("cancelled by "+who, who), false)
	}
	return nil
}

// cancelledResult is the result of an attempt cancelled by user by ("": the
// queue reported it, the user unknown).
func cancelledResult(msg, by string) protocol.Event {
	return protocol.Event{Type: protocol.EventResult, Status: protocol.StatusCancelled, FailureKind: protocol.FailureCancelled,
		Error: &protocol.Error{Code: "cancelled", Message: msg}, Actor: by}
}

// readLoop applies results and events from the workers. It blocks on Redis
// for at most redis_result_queue_polling_interval per call, so a result is
// applied as soon as it arrives.
func (d *redisDispatcher) readLoop(ctx context.Context) {
	host, _ := os.Hostname()
	r := d.q.NewReader("server-" + host)
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		msgs, err := r.Read(ctx, 256, d.s.cfg.PollingInterval())
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			d.log.Warn("reading results from redis failed; retrying", slog.Any("err", err), slog.Duration("backoff", backoff))
			ctxtime.Sleep(ctx, backoff)
			backoff = min(backoff*2, 5*time.Second)
			continue
		}
		backoff = 100 * time.Millisecond
		for _, m := range msgs {
			d.apply(context.WithoutCancel(ctx), m)
		}
		if len(msgs) > 0 {
			if err := d.q.Ack(ctx, msgs...); err != nil {
				d.log.Warn("ack results", slog.Any("err", err))
			}
		}
	}
}

// apply records one message from the results or events stream.
func (d *redisDispatcher) apply(ctx context.Context, m queue.Message) {
	s := d.s
	id, attempt := m.Ref.Experiment, m.Ref.Attempt
	switch m.Kind {
	case queue.KindEvent:
		var ev protocol.Event
		if err := json.Unmarshal(m.Data, &ev); err != nil || ev.Type == "" {
			d.log.Warn("malformed event from a worker dropped", slog.String("experiment", id), slog.String("entry", m.ID))
			return
		}
		switch ev.Type {
		case protocol.EventPickup:
			s.metrics.pickup.Observe(ev.Fraction)
			ev = protocol.Event{Type: protocol.EventLog, Level: "info", Time: ev.Time,
				Message: fmt.Sprintf("experiment process started %.1f ms after the claim", ev.Fraction*1000)}
		case protocol.EventData:
			s.metrics.dataset(ev.CacheHit, ev.Bytes, ev.Fraction)
		}
		s.progress(ctx, id, attempt, ev)
	case queue.KindStarted:
		if err := s.markRunning(ctx, id, attempt, m.Ref.Worker, d.workerName(ctx, m.Ref.Worker), m.Time); err != nil && !errors.Is(err, errStale) {
			d.log.Warn("record start", slog.String("experiment", id), slog.Any("err", err))
		}
	case queue.KindRequeued:
		res := protocol.Event{Type: protocol.EventResult, Status: protocol.StatusFailed, FailureKind: protocol.FailureKind(m.FailureKind),
			Error: &protocol.Error{Code: m.Reason, Message: requeueMessage(m)}}
		if m.Reason == "released" || m.Reason == "worker_stopped" {
			res.FailureKind = ""
		}
		s.finish(ctx, id, attempt, res, true)
	case queue.KindCompleted, queue.KindFailed:
		var res protocol.Event
		if err := json.Unmarshal(m.Data, &res); err != nil || res.Status == "" {
			res = protocol.Event{Type: protocol.EventResult, Status: protocol.StatusFailed, FailureKind: protocol.FailureInfra,
				Error: &protocol.Error{Code: "bad_result", Message: "the worker sent a result drover cannot read"}}
		}
		if m.Kind == queue.KindFailed && res.Status == protocol.StatusSucceeded {
			res.Status = protocol.StatusFailed
		}
		s.finish(ctx, id, attempt, res, false)
	case queue.KindLost:
		s.finish(ctx, id, attempt, protocol.Event{Type: protocol.EventResult, Status: protocol.StatusFailed, FailureKind: protocol.FailureInfra,
			Error: &protocol.Error{Code: "worker_lost", Message: requeueMessage(m) + "; no retries left"}}, false)
	case queue.KindCancelled:
		if cur, err := s.store.GetExperiment(ctx, id); err == nil && !cur.Status.Terminal() {
			if cur.Status == protocol.StatusQueued {
				_ = s.cancelQueued(ctx, id, "")
			} else {
				s.finish(ctx, id, cur.Attempt, cancelledResult("cancelled", ""), false)
			}
		}
	default:
		d.log.Warn("unknown message on the results stream dropped", slog.String("kind", m.Kind), slog.String("entry", m.ID))
	}
}

func requeueMessage(m queue.Message) string {
	switch m.Reason {
	case "lease_expired":
		return fmt.Sprintf("worker %s stopped renewing the lease of attempt %d", m.Ref.Worker, m.Ref.Attempt)
	case "worker_gone":
		return fmt.Sprintf("worker %s restarted or was replaced while attempt %d ran", m.Ref.Worker, m.Ref.Attempt)
	case "released", "worker_stopped":
		return fmt.Sprintf("worker %s stopped and handed attempt %d back", m.Ref.Worker, m.Ref.Attempt)
	case "failed":
		return fmt.Sprintf("attempt %d failed on worker %s", m.Ref.Attempt, m.Ref.Worker)
	}
	return fmt.Sprintf("attempt %d on worker %s ended (%s)", m.Ref.Attempt, m.Ref.Worker, m.Reason)
}

// reap takes back the leases of workers that went silent.
func (d *redisDispatcher) reap(ctx context.Context) {
	rep, err := d.q.ReapExpired(ctx, d.s.cfg.MaxRetries)
	if err != nil {
		if ctx.Err() == nil {
			d.log.Warn("reap expired leases", slog.Any("err", err))
		}
		return
	}
	for _, r := range rep.Reaped {
		d.log.Warn("lease taken back", slog.String("experiment", r.Experiment), slog.Int("attempt", r.Attempt),
			slog.String("worker", r.Worker), slog.String("reason", r.Reason), slog.Bool("requeued", r.Requeued))
		if !r.Deadline.IsZero() {
			lastHeard := r.Deadline.Add(-d.q.LeaseTTL())
			d.s.metrics.recovery.Observe(rep.Now.Sub(lastHeard).Seconds())
		}
	}
}

// reconcileNow is reconcile for the periodic loop: errors are logged.
func (d *redisDispatcher) reconcileNow(ctx context.Context) {
	if err := d.reconcile(ctx); err != nil && ctx.Err() == nil {
		d.log.Warn("reconcile with redis", slog.Any("err", err))
	}
}

// reconcile queues again every experiment the store says is queued or
// running but Redis does not know (Redis lost data, or the server stopped
// between storing and queueing). Enqueue is idempotent, so a race with a
// result in flight at worst re-runs an experiment; it never loses one.
func (d *redisDispatcher) reconcile(ctx context.Context) error {
	list, err := d.s.store.ListExperiments(ctx, protocol.StatusQueued, protocol.StatusRunning)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		return nil
	}
	ids := make([]string, len(list))
	for i, e := range list {
		ids[i] = e.ID
	}
	known, err := d.q.Known(ctx, ids)
	if err != nil {
		return err
	}
	for _, e := range list {
		if known[e.ID] {
			continue
		}
		// A result may have just been applied: look again before re-queueing.
		cur, err := d.s.store.GetExperiment(ctx, e.ID)
		if err != nil || cur.Status.Terminal() {
			continue
		}
		if k, err := d.q.Known(ctx, []string{e.ID}); err != nil || k[e.ID] {
			continue
		}
		if cur.Status == protocol.StatusRunning {
			res := protocol.Event{Type: protocol.EventResult, Status: protocol.StatusFailed, FailureKind: protocol.FailureInfra,
				Error: &protocol.Error{Code: "queue_lost", Message: "the queue lost this attempt (Redis restarted without its data?)"}}
			if !d.s.finish(ctx, cur.ID, cur.Attempt, res, true) {
				continue
			}
			if cur, err = d.s.store.GetExperiment(ctx, e.ID); err != nil {
				continue
			}
		}
		d.log.Warn("experiment unknown to redis; queueing it again", slog.String("experiment", cur.ID))
		if err := d.Submit(ctx, cur); err != nil {
			return err
		}
	}
	return nil
}

func (d *redisDispatcher) Finish(ctx context.Context, e *store.Experiment) (bool, error) {
	ok, err := d.q.Finish(ctx, e.ID)
	if err != nil {
		return false, apiErr(errcode.Unavailable, "cannot reach the queue: "+err.Error())
	}
	return ok, nil
}

func (d *redisDispatcher) Workers(ctx context.Context) ([]api.Worker, error) {
	snap, err := d.q.WorkerSnapshot(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]api.Worker, 0, len(snap.Workers))
	for _, w := range snap.Workers {
		aw := api.Worker{ID: w.ID, Name: w.Name, Host: w.Host, Processors: w.Slots, GPUs: w.GPUs, FreeGPUs: w.FreeGPUs,
			Capabilities: w.Capabilities, Running: []string{},
			Health:   queue.WorkerHealth(w, snap.Now, d.s.cfg.SuspectPeriod(), d.s.cfg.HealthyResponsePeriod()),
			Draining: w.Draining, State: workerState(w.Draining, len(w.Running))}
		for _, r := range w.Running {
			aw.Running = append(aw.Running, r.Experiment)
		}
		if !w.LastSeen.IsZero() {
			t := w.LastSeen
			aw.LastSeen = &t
		}
		if !w.Started.IsZero() {
			t := w.Started
			aw.StartedAt = &t
		}
		out = append(out, aw)
	}
	return out, nil
}

func (d *redisDispatcher) Positions(ctx context.Context, queued []*store.Experiment) (map[string]Position, error) {
	snap, err := d.q.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]Position{}
	for id, p := range queue.Positions(snap, d.s.cfg.SuspectPeriod()) {
		out[id] = Position{Queue: p.Queue, Index: p.Index, Reason: p.Reason, Priority: p.Priority, Higher: p.Higher, Kind: p.Kind}
	}
	return out, nil
}

// collect refreshes queue-side counters for /metrics.
func (d *redisDispatcher) collect(ctx context.Context) {
	if st, err := d.q.Stats(ctx); err == nil {
		d.s.metrics.queueStats(st)
	}
}

// workerName is the name of a worker identity ("" when unknown), from a
// snapshot the first time an identity is seen.
func (d *redisDispatcher) workerName(ctx context.Context, id string) string {
	if v, ok := d.names.Load(id); ok {
		return v.(string)
	}
	snap, err := d.q.Snapshot(ctx)
	if err != nil {
		return ""
	}
	for _, w := range snap.Workers {
		d.names.Store(w.ID, w.Name)
	}
	if v, ok := d.names.Load(id); ok {
		return v.(string)
	}
	return ""
}
