package queue

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// Priority classes of an experiment (api field and flag `priority`). A free
// processor takes the oldest runnable experiment of the highest class.
const (
	PriorityHigh   = "high"
	PriorityNormal = "normal"
	PriorityLow    = "low"
)

// Priorities in claim order, highest first.
var Priorities = []string{PriorityHigh, PriorityNormal, PriorityLow}

// PriorityRank is the class's rank, 0 = high (claimed first); "" is normal.
func PriorityRank(p string) (int, error) {
	switch p {
	case PriorityHigh:
		return 0, nil
	case PriorityNormal, "":
		return 1, nil
	case PriorityLow:
		return 2, nil
	}
	return 0, fmt.Errorf("unknown priority %q: use high, normal or low", p)
}

// PriorityName is the class of a rank (normal for anything unknown).
func PriorityName(rank int) string {
	if rank >= 0 && rank < len(Priorities) {
		return Priorities[rank]
	}
	return PriorityNormal
}

// Scheduling policies (config scheduling_policy).
const (
	// PolicyFIFO: the oldest runnable experiment of the highest class.
	PolicyFIFO = "fifo"
	// PolicyFair: within the highest class, the oldest experiment of the
	// user who runs the fewest experiments now.
	PolicyFair = "fair"
)

// Candidate is a queued experiment as the selection sees it.
type Candidate struct {
	ID       string
	Priority int   // rank: 0 high, 1 normal, 2 low
	Seq      int64 // age: smaller is older
	User     string
}

// Limits are the running quotas: Default for every user, Users overriding it
// for some. 0 = unlimited.
type Limits struct {
	Default int
	Users   map[string]int
}

// Of is the running quota of user (0 = unlimited).
func (l Limits) Of(user string) int {
	if n, ok := l.Users[user]; ok {
		return n
	}
	return l.Default
}

// Pick is drover's scheduling rule, the one the claim script applies in
// Redis and the local dispatcher applies in process: among the candidates
// (those the processor can run at all), skip every one whose user already
// runs its quota; of the rest take the highest priority class; inside it the
// oldest (fifo) or, with fair, the oldest of the user with the fewest running
// (ties: the older head). It returns the index in cands, or -1.
func Pick(cands []Candidate, running map[string]int, lim Limits, policy string) int {
	best := -1
	fair := policy == PolicyFair
	for i, c := range cands {
		if q := lim.Of(c.User); q > 0 && running[c.User] >= q {
			continue
		}
		if best < 0 || less(c, cands[best], running, fair) {
			best = i
		}
	}
	return best
}

func less(a, b Candidate, running map[string]int, fair bool) bool {
	if a.Priority != b.Priority {
		return a.Priority < b.Priority
	}
	if fair && running[a.User] != running[b.User] {
		return running[a.User] < running[b.User]
	}
	return a.Seq < b.Seq
}

// QuotaReason is the wait reason of an experiment whose user runs its
// quota, e.g. "alice runs 4 of 4 allowed"; "" when under it.
func QuotaReason(user string, running map[string]int, lim Limits) string {
	q := lim.Of(user)
	if q <= 0 || running[user] < q {
		return ""
	}
	name := user
	if name == "" {
		name = "the owner"
	}
	return fmt.Sprintf("%s runs %d of %d allowed", name, running[user], q)
}

// validUser: user names travel inside lane names; no bars or spaces.
func validUser(u string) error {
	if len(u) > 128 || strings.ContainsAny(u, "|, \t\r\n") {
		return fmt.Errorf("user %q is longer than 128 bytes or has a bar, comma or space", u)
	}
	return nil
}

// SetScheduling stores the policy and the default running quota per user
// (0 = unlimited) in Redis, where every claim reads them, and wakes the
// waiting workers (a larger quota may let them run something).
func (q *Queue) SetScheduling(ctx context.Context, policy string, maxRunningPerUser int) error {
	if policy == "" {
		policy = PolicyFIFO
	}
	if policy != PolicyFIFO && policy != PolicyFair {
		return fmt.Errorf("queue: scheduling policy %q: use fifo or fair", policy)
	}
	if maxRunningPerUser < 0 {
		return fmt.Errorf("queue: max running per user %d is negative", maxRunningPerUser)
	}
	_, err := q.run(ctx, q.scripts.sched, "policy", policy, "max_running", strconv.Itoa(maxRunningPerUser))
	if err != nil {
		return fmt.Errorf("queue: set scheduling: %w", err)
	}
	return nil
}

// SetUserLimit overrides the running quota of one user: n >= 0 (0 =
// unlimited), or n < 0 to fall back to the default.
func (q *Queue) SetUserLimit(ctx context.Context, user string, n int) error {
	if err := validUser(user); err != nil {
		return fmt.Errorf("queue: set user limit: %w", err)
	}
	v := ""
	if n >= 0 {
		v = strconv.Itoa(n)
	}
	if _, err := q.run(ctx, q.scripts.sched, "max_running:"+user, v); err != nil {
		return fmt.Errorf("queue: set user limit of %s: %w", user, err)
	}
	return nil
}

// Reprioritize moves a queued experiment to another priority class, keeping
// its age. It reports false when the experiment is not queued (leased or
// unknown).
func (q *Queue) Reprioritize(ctx context.Context, id, priority string) (bool, error) {
	rank, err := PriorityRank(priority)
	if err != nil {
		return false, fmt.Errorf("queue: reprioritize %s: %w", id, err)
	}
	res, err := q.run(ctx, q.scripts.reprioritize, id, rank)
	if err != nil {
		return false, fmt.Errorf("queue: reprioritize %s: %w", id, err)
	}
	n, _ := res.(int64)
	return n == 1, nil
}
