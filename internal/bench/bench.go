// Package bench measures drover's Redis queue side by side with
// github.com/hibiken/asynq (a benchmark peer only: nothing else in drover
// uses it), on one redis-server, in one run, each system in its own
// database. `drover-bench queue` (cmd/drover-bench) is its command; the
// drover binary itself does not link this package or asynq.
// docs/performance.md ("Queue") has the figures and what each scenario means.
//
// Scenarios (each measures drover, then asynq):
//   - pickup: one processor free and blocked waiting; enqueue one experiment,
//     time until its child process is started. drover goes through the
//     real worker (internal/worker in this process, internal/runner children
//     of the drover binary); asynq's handler starts `true`.
//   - throughput: N no-op experiments queued, then drained by claim + result
//     (no child process) with Workers × Slots concurrent claimers.
//   - recovery: a worker process running a long experiment is killed with
//     SIGKILL while a second one waits; time until the experiment runs
//     again. Defaults on both sides (asynq's only with AsynqRecovery).
//   - idle: Redis commands per second with IdleWorkers idle workers.
//   - memory: Redis used_memory and keys per finished experiment, after the
//     results were acknowledged as the server does.
package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Scenario names, in the order Run runs them.
const (
	ScenarioMemory     = "memory"
	ScenarioThroughput = "throughput"
	ScenarioPickup     = "pickup"
	ScenarioIdle       = "idle"
	ScenarioRecovery   = "recovery"
)

// Scenarios lists every scenario in run order.
var Scenarios = []string{ScenarioMemory, ScenarioThroughput, ScenarioPickup, ScenarioIdle, ScenarioRecovery}

// Options configures Run. Zero values take the defaults of `drover-bench queue`.
type Options struct {
	// RedisAddr is an existing Redis to use (its databases DB..DB+9 must be
	// empty; they are flushed afterwards). "" starts a private redis-server.
	RedisAddr string
	// DB is the first database used (default 0); scenarios use DB..DB+9.
	DB int
	// Exe is the drover binary: worker processes and experiment children
	// ("" = this executable).
	Exe string
	// BenchExe is the drover-bench binary, which runs the asynq worker
	// process of the recovery scenario (`drover-bench asynq-worker`;
	// "" = this executable).
	BenchExe string
	// Dir holds temporary files ("" = os.TempDir()).
	Dir string

	Only []string // scenarios to run; nil = all

	Samples      int           // pickup samples for drover (default 200)
	AsynqSamples int           // pickup samples for asynq (default 100; each takes about its 1 s poll)
	PickupGap    time.Duration // largest random pause between pickup samples (default 100 ms)

	N       int // throughput experiments (default 20,000)
	Workers int // throughput workers (default 4)
	Slots   int // slots per throughput worker (default 2)

	IdleWorkers int           // idle scenario workers (default 10)
	IdleFor     time.Duration // idle measurement window (default 10 s)
	IdleSettle  time.Duration // wait after start before measuring (default 2 s)

	MemoryN int // memory scenario experiments (default 1,000)

	// AsynqRecovery also runs asynq's side of the recovery scenario (about
	// 1-3 minutes on its defaults).
	AsynqRecovery bool
	// WorkerEnv is added to the environment of `drover worker` processes
	// (tests shorten the lease with DROVER_WORKER_LEASE_PERIOD).
	WorkerEnv []string

	// Progress receives one line per step (nil = none).
	Progress io.Writer
	// Log receives the logs of in-process workers and asynq servers at
	// warning level and above (nil = discarded).
	Log io.Writer
}

func (o *Options) defaults() {
	def := func(p *int, v int) {
		if *p <= 0 {
			*p = v
		}
	}
	def(&o.Samples, 200)
	def(&o.AsynqSamples, 100)
	def(&o.N, 20000)
	def(&o.Workers, 4)
	def(&o.Slots, 2)
	def(&o.IdleWorkers, 10)
	def(&o.MemoryN, 1000)
	if o.PickupGap <= 0 {
		o.PickupGap = 100 * time.Millisecond
	}
	if o.IdleFor <= 0 {
		o.IdleFor = 10 * time.Second
	}
	if o.IdleSettle <= 0 {
		o.IdleSettle = 2 * time.Second
	}
	if o.Dir == "" {
		o.Dir = os.TempDir()
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
}

func (o *Options) runs(s string) bool { return len(o.Only) == 0 || slices.Contains(o.Only, s) }

// Latency is a distribution of sequential samples, in milliseconds.
type Latency struct {
	N    int     `json:"n"`
	Mean float64 `json:"mean_ms"`
	P50  float64 `json:"p50_ms"`
	P90  float64 `json:"p90_ms"`
	P99  float64 `json:"p99_ms"`
	Max  float64 `json:"max_ms"`
}

func latency(d []time.Duration) Latency {
	if len(d) == 0 {
		return Latency{}
	}
	s := slices.Clone(d)
	slices.Sort(s)
	ms := func(x time.Duration) float64 { return math.Round(float64(x)/1e4) / 100 }
	// Nearest rank.
	q := func(p float64) float64 {
		i := int(math.Ceil(p*float64(len(s)))) - 1
		return ms(s[max(0, min(i, len(s)-1))])
	}
	var sum time.Duration
	for _, x := range s {
		sum += x
	}
	return Latency{N: len(s), Mean: ms(sum / time.Duration(len(s))), P50: q(0.5), P90: q(0.9), P99: q(0.99), Max: ms(s[len(s)-1])}
}

// PickupResult: enqueue → experiment child process started, one processor free.
type PickupResult struct {
	// Drover: enqueue → runner.Start returned in the worker (the child is
	// forked and exec'd), from the worker's "pickup" event.
	Drover Latency `json:"drover"`
	// DroverChildRunning: enqueue → the child's first event (the drover
	// binary started, read its job and wrote its first line).
	DroverChildRunning Latency `json:"drover_child_running"`
	// DroverClaimed: enqueue → Claim returned in the worker (wake-up + claim
	// script); DroverStart: Claim returned → runner.Start returned (job file,
	// fork and exec). Their sum is Drover, sample by sample.
	DroverClaimed Latency `json:"drover_claimed"`
	DroverStart   Latency `json:"drover_start"`
	// Asynq: enqueue → exec.Command("true").Start() returned in the handler.
	Asynq Latency `json:"asynq"`
	// GapMaxMS is the largest random pause between samples.
	GapMaxMS float64 `json:"gap_max_ms"`
}

// ThroughputResult: no-op experiments drained through the queue.
type ThroughputResult struct {
	N       int `json:"n"`
	Workers int `json:"workers"`
	Slots   int `json:"slots_per_worker"`
	// Drover: experiments/s of claim + complete, while a server-side reader
	// reads and acknowledges the results concurrently.
	Drover float64 `json:"drover_per_s"`
	// DroverAcked: experiments/s until the last result was acknowledged.
	DroverAcked float64 `json:"drover_acked_per_s"`
	// Asynq: tasks/s of one asynq server of Concurrency Workers×Slots.
	Asynq float64 `json:"asynq_per_s"`
	// CPU time per experiment, enqueue included.
	DroverCPU CPU `json:"drover_cpu"`
	AsynqCPU  CPU `json:"asynq_cpu"`
}

// RecoveryResult: SIGKILL of a worker → its experiment running again elsewhere.
type RecoveryResult struct {
	DroverSeconds float64 `json:"drover_s"`
	// DroverReaper says what took the lease back (the bench calls
	// queue.ReapExpired every second, as the server's reap loop does).
	DroverReaper       string   `json:"drover_reaper"`
	DroverLeaseSeconds float64  `json:"drover_lease_s"`
	AsynqSeconds       *float64 `json:"asynq_s,omitempty"` // nil: not run
}

// IdleResult: Redis commands/s with idle workers (INFO total_commands_processed).
type IdleResult struct {
	Workers int     `json:"workers"`
	Seconds float64 `json:"seconds"`
	Drover  float64 `json:"drover_cmds_per_s"`
	Asynq   float64 `json:"asynq_cmds_per_s"`
	// Per command, calls/s (INFO commandstats; commands run inside Lua
	// scripts count too, as they do in total_commands_processed).
	DroverByCommand map[string]float64 `json:"drover_by_command"`
	AsynqByCommand  map[string]float64 `json:"asynq_by_command"`
}

// MemoryResult: Redis memory left per finished experiment.
type MemoryResult struct {
	N                 int     `json:"n"`
	DroverBytesPerExp float64 `json:"drover_bytes_per_experiment"`
	DroverKeysDelta   int64   `json:"drover_keys_delta"`
	DroverKeys        int64   `json:"drover_keys_after"`
	AsynqBytesPerExp  float64 `json:"asynq_bytes_per_experiment"`
	AsynqKeysDelta    int64   `json:"asynq_keys_delta"`
	AsynqKeys         int64   `json:"asynq_keys_after"`
}

// Check is one target of the issue, met or not.
type Check struct {
	Scenario string `json:"scenario"`
	Target   string `json:"target"`
	Drover   string `json:"drover"`
	Asynq    string `json:"asynq"`
	Met      bool   `json:"met"`
}

// Report is everything one Run measured.
type Report struct {
	Date         string            `json:"date"`
	Host         string            `json:"host"`
	CPU          string            `json:"cpu"`
	CPUs         int               `json:"cpus"`
	GoVersion    string            `json:"go"`
	RedisVersion string            `json:"redis"`
	Command      string            `json:"command,omitempty"`
	Pickup       *PickupResult     `json:"pickup,omitempty"`
	Throughput   *ThroughputResult `json:"throughput,omitempty"`
	Recovery     *RecoveryResult   `json:"recovery,omitempty"`
	Idle         *IdleResult       `json:"idle,omitempty"`
	Memory       *MemoryResult     `json:"memory,omitempty"`
	Checks       []Check           `json:"checks"`
	Seconds      float64           `json:"seconds"`
}

// env is what every scenario shares.
type env struct {
	o    *Options
	addr string
	tmp  string
	rdb  *redis.Client // admin connection (db 0), for INFO
	log  *slog.Logger
	rng  *rand.Rand
}

func (e *env) progress(format string, args ...any) {
	fmt.Fprintf(e.o.Progress, "bench: "+format+"\n", args...)
}

// client returns a connection to database db.
func (e *env) client(db int) *redis.Client {
	return redis.NewClient(&redis.Options{Addr: e.addr, DB: db, DisableIdentity: true, Protocol: 2})
}

// Database offsets of the scenarios (added to Options.DB).
const (
	dbMemory = iota * 2
	dbThroughput
	dbPickup
	dbIdle
	dbRecovery
	dbCount
)

// Run runs the scenarios and returns their figures.
func Run(ctx context.Context, o Options) (*Report, error) {
	o.defaults()
	for _, s := range o.Only {
		if !slices.Contains(Scenarios, s) {
			return nil, fmt.Errorf("bench: unknown scenario %q (have %s)", s, strings.Join(Scenarios, ", "))
		}
	}
	if o.Exe == "" || o.BenchExe == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("bench: find this executable: %w", err)
		}
		if o.Exe == "" {
			o.Exe = exe
		}
		if o.BenchExe == "" {
			o.BenchExe = exe
		}
	}
	began := time.Now()
	tmp, err := os.MkdirTemp(o.Dir, "drover-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	e := &env{o: &o, tmp: tmp, rng: rand.New(rand.NewPCG(uint64(began.UnixNano()), 1)),
		log: slog.New(slog.NewTextHandler(o.Log, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	if o.RedisAddr == "" {
		r, err := StartRedis(ctx, tmp)
		if err != nil {
			return nil, err
		}
		defer r.Stop()
		e.addr = r.Addr()
		e.progress("redis-server on %s", e.addr)
	} else {
		e.addr = o.RedisAddr
	}
	e.rdb = e.client(0)
	defer e.rdb.Close()
	if err := e.checkEmpty(ctx); err != nil {
		return nil, err
	}
	defer e.flushAll(context.WithoutCancel(ctx))

	rep := &Report{Date: began.UTC().Format(time.RFC3339), CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), CPU: cpuModel()}
	rep.Host, _ = os.Hostname()
	if m, err := info(ctx, e.rdb, "server"); err == nil {
		rep.RedisVersion = m["redis_version"]
	}
	steps := []struct {
		name string
		run  func(context.Context, *env, *Report) error
	}{
		{ScenarioMemory, runMemory},
		{ScenarioThroughput, runThroughput},
		{ScenarioPickup, runPickup},
		{ScenarioIdle, runIdle},
		{ScenarioRecovery, runRecovery},
	}
	for _, s := range steps {
		if !o.runs(s.name) {
			continue
		}
		t := time.Now()
		e.progress("%s ...", s.name)
		if err := s.run(ctx, e, rep); err != nil {
			return rep, fmt.Errorf("bench %s: %w", s.name, err)
		}
		e.progress("%s done in %.1fs", s.name, time.Since(t).Seconds())
		// Leave nothing behind for the next scenario (memory and idle
		// figures are server-wide).
		e.flushAll(ctx)
	}
	rep.Checks = checks(rep)
	rep.Seconds = math.Round(time.Since(began).Seconds()*10) / 10
	return rep, nil
}

// checkEmpty refuses to run on databases that hold data (an existing Redis).
func (e *env) checkEmpty(ctx context.Context) error {
	for i := range dbCount {
		c := e.client(e.o.DB + i)
		n, err := c.DBSize(ctx).Result()
		c.Close()
		if err != nil {
			return fmt.Errorf("bench: redis at %s db %d: %w", e.addr, e.o.DB+i, err)
		}
		if n != 0 {
			return fmt.Errorf("bench: redis at %s: db %d holds %d keys; the benchmark needs databases %d..%d empty",
				e.addr, e.o.DB+i, n, e.o.DB, e.o.DB+dbCount-1)
		}
	}
	return nil
}

func (e *env) flushAll(ctx context.Context) {
	for i := range dbCount {
		c := e.client(e.o.DB + i)
		_ = c.FlushDB(ctx).Err()
		c.Close()
	}
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

// sleepCtx sleeps d or until ctx ends.

// gap is a random pause in [0, PickupGap).
func (e *env) gap() time.Duration { return time.Duration(e.rng.Int64N(int64(e.o.PickupGap))) }
