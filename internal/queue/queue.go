// Package queue is the Redis protocol between the drover server and its
// workers. It owns every Redis key and every Lua script; the server and the
// workers use only its Go API. docs/queue.md describes the key layout and the
// reasoning behind it.
//
// Every state change is one Lua script, so it is atomic and safe to run from
// several processes at once. Times that matter (leases, liveness, enqueue
// time) come from Redis's clock, never from the caller's.
package queue

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Defaults applied by Options.withDefaults.
const (
	DefaultPrefix           = "drover"
	DefaultLeaseTTL         = 30 * time.Second
	DefaultWorkerTTL        = 300*time.Second + time.Minute // worker_healthy_response_period + margin
	DefaultResultsCap       = 1_000_000
	DefaultEventsCap        = 100_000
	DefaultQuarantineAfter  = 3
	DefaultQuarantineWindow = 30 * time.Second
	DefaultQuarantineFor    = 60 * time.Second
	DefaultWaitTimeout      = 5 * time.Second

	// reapLimit bounds the work of one reaper script call.
	reapLimit = 500
	// group is the consumer group the server reads results and events with.
	group = "server"
)

// Errors a caller must decide on. Test with errors.Is.
var (
	// ErrStaleAttempt: the attempt token is not the live one (cancelled,
	// reassigned, expired or unknown); the worker must kill that attempt.
	ErrStaleAttempt = errors.New("stale attempt")
	// ErrUnknownWorker: the worker identity is retired or expired; register again.
	ErrUnknownWorker = errors.New("unknown worker")
	// ErrQuarantined: the worker failed too often lately and gets no work for a while.
	ErrQuarantined = errors.New("worker quarantined")
	// ErrNoSlot: the worker already runs as many attempts as it has slots.
	ErrNoSlot = errors.New("no free slot")
	// ErrNoWork: nothing this worker can run is queued; it is now in the
	// waiting set and WaitForWork will return when something is enqueued.
	ErrNoWork = errors.New("no work")
	// ErrDraining: the worker is draining: it takes nothing new until
	// resumed (Resume wakes its WaitForWork).
	ErrDraining = errors.New("worker draining")
)

// Options configures Open. Only Addr is required.
type Options struct {
	Addr     string // host:port
	Password string
	DB       int         // redis_db
	TLS      *tls.Config // nil: plain TCP
	Prefix   string      // redis_key_prefix; default "drover"

	LeaseTTL  time.Duration // lease period, renewed by Heartbeat; default 30 s
	WorkerTTL time.Duration // a worker silent this long is forgotten by the reaper; default 6 min

	ResultsCap int64 // MAXLEN ~ of the results stream (safety net); default 1,000,000
	EventsCap  int64 // MAXLEN ~ of the events stream; default 100,000

	QuarantineAfter  int           // infra failures in a row that quarantine a worker; default 3; <0 disables
	QuarantineWindow time.Duration // ... when they all fell within this window; default 30 s
	QuarantineFor    time.Duration // quarantine length; default 60 s

	PoolSize int          // connections; default go-redis's (10 per CPU). Each blocked worker call holds one.
	Logger   *slog.Logger // default slog.Default()
}

func (o Options) withDefaults() Options {
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = DefaultLeaseTTL
	}
	if o.WorkerTTL <= 0 {
		o.WorkerTTL = DefaultWorkerTTL
	}
	if o.ResultsCap <= 0 {
		o.ResultsCap = DefaultResultsCap
	}
	if o.EventsCap <= 0 {
		o.EventsCap = DefaultEventsCap
	}
	if o.QuarantineAfter == 0 {
		o.QuarantineAfter = DefaultQuarantineAfter
	}
	if o.QuarantineWindow <= 0 {
		o.QuarantineWindow = DefaultQuarantineWindow
	}
	if o.QuarantineFor <= 0 {
		o.QuarantineFor = DefaultQuarantineFor
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

func (o Options) validate() error {
	if o.Addr == "" {
		return errors.New("queue: options: Addr is empty")
	}
	if strings.ContainsAny(o.Prefix, " \t\r\n:") {
		return fmt.Errorf("queue: options: key prefix %q has a space or a colon", o.Prefix)
	}
	if o.DB < 0 {
		return fmt.Errorf("queue: options: redis_db %d is negative", o.DB)
	}
	return nil
}

// Queue is a connection to the drover queue of one installation (one Redis
// database and key prefix). It is safe for concurrent use.
type Queue struct {
	rdb     *redis.Client
	opts    Options
	keys    keys
	scripts *scriptSet
	log     *slog.Logger
}

// ConnError says in one line why Open could not use Redis.
type ConnError struct {
	Addr   string
	Reason string // "connection refused", "wrong password (NOAUTH/WRONGPASS)", ...
	Err    error
}

func (e *ConnError) Error() string { return "queue: redis at " + e.Addr + ": " + e.Reason }
func (e *ConnError) Unwrap() error { return e.Err }

// Open connects to Redis, checks the connection with PING and prepares the
// result and event streams' consumer group.
func Open(ctx context.Context, opts Options) (*Queue, error) {
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	rdb := redis.NewClient(&redis.Options{
		Addr:            opts.Addr,
		Password:        opts.Password,
		DB:              opts.DB,
		TLSConfig:       opts.TLS,
		Protocol:        2,
		DisableIdentity: true,
		PoolSize:        opts.PoolSize,
		MaxRetries:      -1, // scripts are not all idempotent: never resend one blindly
	})
	if err := rdb.Ping(ctx).Err(); err != nil {
		_ = rdb.Close()
		return nil, connError(opts.Addr, opts.DB, err)
	}
	q := &Queue{
		rdb:     rdb,
		opts:    opts,
		keys:    keys{prefix: opts.Prefix},
		scripts: newScripts(),
		log:     opts.Logger.With(slog.String("component", "queue")),
	}
	if err := q.ensureGroups(ctx); err != nil {
		_ = rdb.Close()
		return nil, err
	}
	return q, nil
}

func connError(addr string, db int, err error) error {
	msg := err.Error()
	var reason string
	switch {
	case strings.Contains(msg, "WRONGPASS"), strings.Contains(msg, "NOAUTH"),
		strings.Contains(msg, "invalid password"), strings.Contains(msg, "invalid username-password"):
		reason = "wrong password (NOAUTH/WRONGPASS)"
	case strings.Contains(msg, "without any password configured"):
		reason = "a password was given but the server has none (AUTH)"
	case strings.Contains(msg, "DB index is out of range"):
		reason = fmt.Sprintf("redis_db %d is out of range (see the server's databases setting)", db)
	case strings.Contains(msg, "connection refused"):
		reason = "connection refused"
	case strings.Contains(msg, "i/o timeout"), errors.Is(err, context.DeadlineExceeded):
		reason = "no answer (timeout)"
	case strings.Contains(msg, "no such host"):
		reason = "unknown host"
	case strings.Contains(msg, "tls:"), strings.Contains(msg, "x509:"):
		reason = "TLS handshake failed: " + oneLine(msg)
	default:
		reason = oneLine(msg)
	}
	return &ConnError{Addr: addr, Reason: reason, Err: err}
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// Close closes the connection pool. Calls blocked in WaitForWork or Control
// return within their timeouts.
func (q *Queue) Close() error { return q.rdb.Close() }

// Prefix is the installation's key prefix.
func (q *Queue) Prefix() string { return q.opts.Prefix }

// LeaseTTL is the lease period; a worker should heartbeat several times per period.
func (q *Queue) LeaseTTL() time.Duration { return q.opts.LeaseTTL }

// run evaluates a script with the common arguments in front of args.
func (q *Queue) run(ctx context.Context, s *redis.Script, args ...any) (any, error) {
	full := make([]any, 0, 3+len(args))
	full = append(full, q.opts.Prefix, q.opts.ResultsCap, q.opts.EventsCap)
	full = append(full, args...)
	return s.Run(ctx, q.rdb, nil, full...).Result()
}

// newID returns a random 16-byte hex identity.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// ms converts a Redis millisecond timestamp to a time.Time (zero for 0).
func ms(n int64) time.Time {
	if n <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(n)
}

func atoi64(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

// str reads element i of a script reply as a string ("" when absent or nil).
func str(v []any, i int) string {
	if i >= len(v) || v[i] == nil {
		return ""
	}
	switch x := v[i].(type) {
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	default:
		return fmt.Sprint(x)
	}
}
