package server

import (
	"context"
	"fmt"
	"net/http"

	"github.com/drover-ml/drover/api"
	"github.com/drover-ml/drover/internal/errcode"
	"github.com/drover-ml/drover/internal/protocol"
	"github.com/drover-ml/drover/internal/queue"
	"github.com/drover-ml/drover/internal/store"
)

// Error codes of scheduling.
const ()

// BootstrapAdmin is the user api_token authenticates as, and the owner of
// every experiment and dataset recorded before drover had users.
const BootstrapAdmin = "admin"

// principal is who asks.
type principal struct {
	Name  string
	Admin bool
	// cred is the fingerprint of the user's credentials when the request
	// authenticated (credFingerprint); a login keeps it in the session.
	cred [32]byte
}

// who is the user a request authenticated as: a user's token, or api_token
// (and every request of a server without api_token) as the bootstrap admin.
func (s *Server) who(r *http.Request) principal {
	return whoCtx(r.Context())
}

// whoCtx is who() for code that has the request's context only.
func whoCtx(ctx context.Context) principal {
	if p, ok := ctx.Value(principalKey{}).(principal); ok {
		return p
	}
	return principal{Name: BootstrapAdmin, Admin: true}
}

// mayAccess: admins act on everything, users on what they own.
func (p principal) mayAccess(owner string) bool { return p.Admin || p.Name == owner }

// maySee: a dataset is visible to its owner, to admins, and to everyone once shared.
func (p principal) maySee(ds *store.Dataset) bool { return ds.Shared || p.mayAccess(datasetOwner(ds)) }

func datasetOwner(ds *store.Dataset) string {
	if ds.Owner == "" {
		return BootstrapAdmin
	}
	return ds.Owner
}

// ownerOf is the experiment's owner, the bootstrap admin when unrecorded.
func ownerOf(e *store.Experiment) string {
	if e.Owner == "" {
		return BootstrapAdmin
	}
	return e.Owner
}

// limits are the running quotas the dispatchers apply: the server's
// default and each user's override.
func (s *Server) limits() queue.Limits {
	lim := queue.Limits{Default: s.cfg.MaxRunningPerUser, Users: map[string]int{}}
	if users, err := s.store.ListUsers(context.Background()); err == nil {
		for _, u := range users {
			if u.MaxRunning >= 0 {
				lim.Users[u.Name] = u.MaxRunning
			}
		}
	}
	return lim
}

// queuedLimit is how many experiments user may have queued (0 = no limit).
func (s *Server) queuedLimit(ctx context.Context, user string) int {
	if u, err := s.store.UserByName(ctx, user); err == nil && u.MaxQueued >= 0 {
		return u.MaxQueued
	}
	return s.cfg.MaxQueuedPerUser
}

// maxPriority is the highest class the user may ask for.
func (s *Server) maxPriority(ctx context.Context, who principal) string {
	if who.Admin {
		return queue.PriorityHigh
	}
	if u, err := s.store.UserByName(ctx, who.Name); err == nil && u.MaxPriority != "" {
		return u.MaxPriority
	}
	return queue.PriorityNormal
}

// admitExperiment checks the priority the user asks for and the queued
// quota, and normalises the priority.
func (s *Server) admitExperiment(ctx context.Context, who principal, sp *api.Spec) error {
	if sp.Priority == "" {
		sp.Priority = queue.PriorityNormal
	}
	if _, err := queue.PriorityRank(sp.Priority); err != nil {
		return fieldErr(errcode.UnknownPriority, "priority", fmt.Sprintf("priority %q: use high, normal or low", sp.Priority))
	}
	want, _ := queue.PriorityRank(sp.Priority)
	if most, _ := queue.PriorityRank(s.maxPriority(ctx, who)); want < most {
		return apiErr(errcode.Forbidden, fmt.Sprintf("%s may queue at most %s-priority experiments (only admins, or users given max_priority, may use %s)",
			who.Name, queue.PriorityName(most), sp.Priority))
	}
	if limit := s.queuedLimit(ctx, who.Name); limit > 0 {
		owners := []string{who.Name}
		if who.Name == BootstrapAdmin {
			owners = append(owners, "") // experiments recorded before owners
		}
		n, err := s.store.CountQueuedOf(ctx, owners...)
		if err != nil {
			return err
		}
		if n >= limit {
			return apiErr(errcode.QuotaExceeded,
				fmt.Sprintf("%s has %d of %d allowed experiments queued (max_queued_per_user); wait for some to start or cancel some", who.Name, n, limit))
		}
	}
	return nil
}

// reprioritizer is a dispatcher that can move a queued experiment to
// another class.
type reprioritizer interface {
	Reprioritize(ctx context.Context, e *store.Experiment, priority string) error
}

// handleSetPriority changes a queued experiment's priority (admins only).
func (s *Server) handleSetPriority(w http.ResponseWriter, r *http.Request) {
	if !s.who(r).Admin {
		s.writeError(w, r, apiErr(errcode.Forbidden, "only admins may change an experiment's priority"))
		return
	}
	var body struct {
		Priority string `json:"priority"`
	}
	if err := decodeJSON(w, r, &body, 4096, `priority request (send {"priority": "high"})`); err != nil {
		s.writeError(w, r, err)
		return
	}
	if _, err := queue.PriorityRank(body.Priority); err != nil || body.Priority == "" {
		s.writeError(w, r, badSpec(errcode.UnknownPriority, "priority %q: use high, normal or low", body.Priority))
		return
	}
	e, err := s.getExperiment(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if e.Status != protocol.StatusQueued {
		s.writeError(w, r, apiErr(errcode.Conflict, fmt.Sprintf("experiment %s is %s; only a queued experiment's priority can change", e.ID, e.Status)))
		return
	}
	rp, ok := s.disp.(reprioritizer)
	if !ok {
		s.writeError(w, r, apiErr(errcode.Conflict, "this dispatcher cannot change priorities"))
		return
	}
	if err := rp.Reprioritize(r.Context(), e, body.Priority); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.queue.invalidate()
	s.event(r.Context(), e.ID, protocol.Event{Type: protocol.EventLog, Level: "info",
		Message: fmt.Sprintf("priority set to %s by %s", body.Priority, s.who(r).Name)})
	e, err = s.getExperiment(r.Context(), e.ID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := apiExperiment(e)
	s.annotate(r.Context(), []*store.Experiment{e}, []*api.Experiment{out})
	writeJSON(w, http.StatusOK, out)
}

// setStoredPriority records the new class in the store while the
// experiment is still queued.
func (s *Server) setStoredPriority(ctx context.Context, id, priority string) error {
	_, err := s.store.UpdateExperiment(ctx, id, func(e *store.Experiment) error {
		if e.Status != protocol.StatusQueued {
			return apiErr(errcode.Conflict, fmt.Sprintf("experiment %s is %s now", id, e.Status))
		}
		if e.Spec.Priority == priority {
			return store.ErrUnchanged
		}
		e.Spec.Priority = priority
		return nil
	})
	return err
}

func (d *localDispatcher) Reprioritize(ctx context.Context, e *store.Experiment, priority string) error {
	if err := d.s.setStoredPriority(ctx, e.ID, priority); err != nil {
		return err
	}
	d.poke()
	return nil
}

func (d *redisDispatcher) Reprioritize(ctx context.Context, e *store.Experiment, priority string) error {
	ok, err := d.q.Reprioritize(ctx, e.ID, priority)
	if err != nil {
		return apiErr(errcode.Unavailable, "cannot reach the queue: "+err.Error())
	}
	if !ok {
		return apiErr(errcode.Conflict, fmt.Sprintf("experiment %s is no longer queued", e.ID))
	}
	return d.s.setStoredPriority(ctx, e.ID, priority)
}

// syncScheduling writes scheduling_policy and the running quotas to Redis,
// where every claim reads them.
func (d *redisDispatcher) syncScheduling(ctx context.Context) error {
	lim := d.s.limits()
	if err := d.q.SetScheduling(ctx, d.s.cfg.SchedulingPolicy, lim.Default); err != nil {
		return err
	}
	for u, n := range lim.Users {
		if err := d.q.SetUserLimit(ctx, u, n); err != nil {
			return err
		}
	}
	return nil
}

// candidates turns queued experiments (in store order, oldest first) into
// what queue.Pick chooses from.
func candidates(queued []*store.Experiment) []queue.Candidate {
	out := make([]queue.Candidate, len(queued))
	for i, e := range queued {
		rank, _ := queue.PriorityRank(e.Spec.Priority)
		out[i] = queue.Candidate{ID: e.ID, Priority: rank, Seq: int64(i), User: ownerOf(e)}
	}
	return out
}

// workerControl is a dispatcher whose workers can be drained and removed.
type workerControl interface {
	DrainWorker(ctx context.Context, nameOrID string, on bool) (*api.Worker, error)
	RemoveWorker(ctx context.Context, nameOrID string) error
}

var errNoWorkers = apiErr(errcode.Conflict,
	"worker_mode multiprocessing runs experiments in this server; there are no workers to drain or remove")

func (s *Server) handleWorkerAction(action string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.who(r).Admin {
			s.writeError(w, r, apiErr(errcode.Forbidden, "only admins may "+action+" workers"))
			return
		}
		wc, ok := s.disp.(workerControl)
		if !ok {
			s.writeError(w, r, errNoWorkers)
			return
		}
		id := r.PathValue("id")
		defer s.queue.invalidate() // wait reasons name the workers
		switch action {
		case "remove":
			if err := wc.RemoveWorker(r.Context(), id); err != nil {
				s.writeError(w, r, err)
				return
			}
			writeJSON(w, http.StatusOK, map[string]string{"removed": id})
		default:
			wk, err := wc.DrainWorker(r.Context(), id, action == "drain")
			if err != nil {
				s.writeError(w, r, err)
				return
			}
			writeJSON(w, http.StatusOK, wk)
		}
	}
}

func (d *redisDispatcher) resolveWorker(ctx context.Context, nameOrID string) (string, error) {
	id, err := d.q.WorkerID(ctx, nameOrID)
	if err != nil {
		return "", apiErr(errcode.Unavailable, "cannot reach the queue: "+err.Error())
	}
	if id == "" {
		return "", apiErr(errcode.NotFound, fmt.Sprintf("no worker named or with id %q", nameOrID))
	}
	return id, nil
}

func (d *redisDispatcher) DrainWorker(ctx context.Context, nameOrID string, on bool) (*api.Worker, error) {
	id, err := d.resolveWorker(ctx, nameOrID)
	if err != nil {
		return nil, err
	}
	var ok bool
	if on {
		ok, err = d.q.Drain(ctx, id)
	} else {
		ok, err = d.q.Resume(ctx, id)
	}
	if err != nil {
		return nil, apiErr(errcode.Unavailable, "cannot reach the queue: "+err.Error())
	}
	if !ok {
		return nil, apiErr(errcode.NotFound, fmt.Sprintf("worker %q is gone", nameOrID))
	}
	ws, err := d.Workers(ctx)
	if err != nil {
		return nil, err
	}
	for i := range ws {
		if ws[i].ID == id {
			return &ws[i], nil
		}
	}
	return nil, apiErr(errcode.NotFound, fmt.Sprintf("worker %q is gone", nameOrID))
}

func (d *redisDispatcher) RemoveWorker(ctx context.Context, nameOrID string) error {
	id, err := d.resolveWorker(ctx, nameOrID)
	if err != nil {
		return err
	}
	if _, err := d.q.Remove(ctx, id); err != nil {
		return apiErr(errcode.Unavailable, "cannot reach the queue: "+err.Error())
	}
	return nil
}

// workerState is what System Info says of a worker's drain.
func workerState(draining bool, running int) string {
	switch {
	case !draining:
		return "active"
	case running > 0:
		return fmt.Sprintf("draining (%d running)", running)
	default:
		return "drained"
	}
}
