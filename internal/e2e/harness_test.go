package e2e

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/drover-ml/drover/api"
	"github.com/drover-ml/drover/internal/servertest"
	"github.com/drover-ml/drover/internal/syncio"
	"github.com/drover-ml/drover/internal/testutil"
)

var droverBin string

// TestMain builds the drover binary once for every test here.
func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() && os.Getenv("CI") != "true" {
		fmt.Println("e2e: skipped under -short (real processes, Redis and MinIO)")
		os.Exit(0)
	}
	dir, err := os.MkdirTemp("", "drover-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	droverBin = filepath.Join(dir, "drover")
	build := exec.Command("go", "build", "-o", droverBin, "./cmd/drover")
	build.Dir = repoRoot()
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build drover: %v\n%s", err, out)
		os.Exit(1)
	}
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		os.RemoveAll(dir)
		os.Exit(code)
	}))
}

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

func example(name string) string { return filepath.Join(repoRoot(), "examples", name) }

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// proc is a drover process started by a test.
type proc struct {
	t    *testing.T
	name string
	cmd  *exec.Cmd
	log  syncio.Buffer
	done chan struct{}
}

func (p *proc) Log() string { return p.log.String() }

func (p *proc) signal(sig syscall.Signal) {
	_ = p.cmd.Process.Signal(sig)
}

// wait waits for the process to exit.
func (p *proc) wait(timeout time.Duration) bool {
	select {
	case <-p.done:
		return true
	case <-time.After(timeout):
		return false
	}
}

func (p *proc) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	p.signal(syscall.SIGCONT)
	p.signal(syscall.SIGTERM)
	if !p.wait(15 * time.Second) {
		p.signal(syscall.SIGKILL)
		p.wait(5 * time.Second)
	}
}

func startProc(t *testing.T, name string, env []string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(droverBin, args...)
	cmd.Env = append(cleanEnv(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p := &proc{t: t, name: name, cmd: cmd, done: make(chan struct{})}
	r, w, _ := os.Pipe()
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			p.log.Write([]byte(sc.Text() + "\n"))
		}
	}()
	go func() { cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("--- log of %s ---\n%s", name, p.Log())
		}
	})
	return p
}

// cleanEnv is the environment without DROVER_ variables of the caller.
func cleanEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DROVER_") {
			out = append(out, kv)
		}
	}
	return out
}

// cluster is a Redis, one server and any number of workers.
type cluster struct {
	t      *testing.T
	redis  *testutil.Redis
	env    []string // shared config (as DROVER_ variables)
	server *proc
	url    string
	cl     *api.Client
	srvDir string
	// transport sends the API clients' requests (nil: the default; the
	// TLS test's trusts its CA).
	transport http.RoundTripper
}

// Test timing: short leases so failures are detected in seconds.
var fastEnv = []string{
	"DROVER_WORKER_HEARTBEAT_INTERVAL=1",
	"DROVER_WORKER_LEASE_PERIOD=5",
	"DROVER_WORKER_SUSPECT_PERIOD=3",
	"DROVER_WORKER_HEALTHY_RESPONSE_PERIOD=20",
	"DROVER_WORKER_GRACE_PERIOD=2",
	"DROVER_LOG_LEVEL=info",
}

func newCluster(t *testing.T, redis *testutil.Redis, extra ...string) *cluster {
	t.Helper()
	if redis == nil {
		redis = testutil.StartRedis(t)
	}
	_, port, _ := net.SplitHostPort(redis.Addr())
	c := &cluster{t: t, redis: redis, srvDir: t.TempDir()}
	c.env = append([]string{"DROVER_WORKER_MODE=singlenode", "DROVER_REDIS_PORT=" + port}, fastEnv...)
	c.env = append(c.env, extra...)
	c.startServer()
	return c
}

func (c *cluster) startServer() {
	t := c.t
	port := freePort(t)
	c.url = fmt.Sprintf("http://127.0.0.1:%d", port)
	env := append(append([]string{}, c.env...), "DROVER_DATA_DIRECTORY="+c.srvDir, fmt.Sprintf("DROVER_LISTEN_ADDRESS=127.0.0.1:%d", port))
	c.server = startProc(t, "server", env, "server")
	c.cl = c.client("")
	c.waitFor("server up", 30*time.Second, func() bool { return c.cl.Healthz(context.Background()) == nil })
}

// client is an API client of the cluster's server with token, whose
// every request and response is checked against the OpenAPI document.
func (c *cluster) client(token string) *api.Client {
	cl := api.NewClient(c.url, token)
	v := servertest.NewOpenAPI(c.t, c.url)
	v.Next = c.transport
	cl.HTTP = v.Client()
	return cl
}

// restartServer stops the server process and starts a new one on the same data.
func (c *cluster) restartServer() {
	c.server.stop()
	c.startServer()
}

func (c *cluster) startWorker(name string, extra ...string) *proc {
	env := append(append([]string{}, c.env...), "DROVER_DATA_DIRECTORY="+c.t.TempDir(), "DROVER_WORKER_NAME="+name)
	env = append(env, extra...)
	return startProc(c.t, name, env, "worker")
}

func (c *cluster) waitFor(what string, timeout time.Duration, cond func() bool) {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			c.t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// workersOnline waits until n workers are healthy.
func (c *cluster) workersOnline(n int) *api.SystemInfo {
	var si *api.SystemInfo
	c.waitFor(fmt.Sprintf("%d healthy workers", n), 30*time.Second, func() bool {
		var err error
		si, err = c.cl.SystemInfo(context.Background())
		if err != nil {
			return false
		}
		h := 0
		for _, w := range si.Workers {
			if w.Health == "healthy" {
				h++
			}
		}
		return h == n
	})
	return si
}

func (c *cluster) dataset() *api.Dataset {
	ds, err := c.cl.UploadDataset(context.Background(), example("iris.csv"), nil)
	if err != nil {
		c.t.Fatal(err)
	}
	return ds
}

func (c *cluster) create(spec api.Spec) *api.Experiment {
	c.t.Helper()
	e, err := c.cl.CreateExperiment(context.Background(), spec)
	if err != nil {
		c.t.Fatal(err)
	}
	return e
}

func (c *cluster) get(id string) *api.Experiment {
	e, err := c.cl.GetExperiment(context.Background(), id)
	if err != nil {
		return &api.Experiment{}
	}
	return e
}

func (c *cluster) waitStatus(id string, timeout time.Duration, statuses ...string) *api.Experiment {
	c.t.Helper()
	var e *api.Experiment
	c.waitFor(id+" to be "+strings.Join(statuses, "/"), timeout, func() bool {
		e = c.get(id)
		for _, s := range statuses {
			if e.Status == s {
				return true
			}
		}
		return false
	})
	return e
}

// workerProc finds which of procs runs as the worker id.
func (c *cluster) workerNamed(id string) string {
	si, err := c.cl.SystemInfo(context.Background())
	if err != nil {
		return ""
	}
	for _, w := range si.Workers {
		if w.ID == id {
			return w.Name
		}
	}
	return ""
}

// intervals reads the liveness log written by recipe(): per attempt, the
// first and last time it was seen running.
type interval struct{ first, last float64 }

func intervals(t *testing.T, path string) map[int]interval {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int]interval{}
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Fields(l)
		if len(f) != 2 {
			continue
		}
		a, err1 := strconv.Atoi(f[0])
		ts, err2 := strconv.ParseFloat(f[1], 64)
		if err1 != nil || err2 != nil {
			continue
		}
		iv, ok := out[a]
		if !ok {
			iv.first = ts
		}
		iv.last = ts
		out[a] = iv
	}
	return out
}

// assertNoOverlap fails when two attempts were alive at the same time.
func assertNoOverlap(t *testing.T, path string) {
	t.Helper()
	ivs := intervals(t, path)
	for a, x := range ivs {
		for b, y := range ivs {
			if a < b && x.first <= y.last && y.first <= x.last {
				t.Fatalf("attempts %d [%f, %f] and %d [%f, %f] overlap", a, x.first, x.last, b, y.first, y.last)
			}
		}
	}
}

// recipe is a command experiment that records, from inside the child,
// that attempt N is alive every 50 ms for secs seconds, and writes its
// shell's pid to pidDir/attempt-N.
func recipe(logPath, pidDir string, secs float64) string {
	n := int(secs / 0.05)
	return fmt.Sprintf(`echo $$ > %s/attempt-$DROVER_ATTEMPT; i=0; while [ $i -lt %d ]; do echo "$DROVER_ATTEMPT $(date +%%s.%%N)" >> %s; sleep 0.05; i=$((i+1)); done`,
		pidDir, n, logPath)
}

// readPID reads the pid the shell wrote to path. The file can exist a
// moment before its line is written: it waits for the whole line.
func readPID(t *testing.T, path string) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, err := os.ReadFile(path)
		if err == nil && strings.HasSuffix(string(b), "\n") {
			pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
			if err != nil {
				t.Fatal(err)
			}
			return pid
		}
		if time.Now().After(deadline) {
			t.Fatalf("no pid line in %s: %q %v", path, b, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(b), ')')
	f := strings.Fields(string(b[i+1:]))
	return len(f) > 0 && f[0] != "Z"
}
