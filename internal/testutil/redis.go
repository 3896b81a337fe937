package testutil

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/drover-ml/drover/internal/syncio"
)

// RedisOption configures StartRedis.
type RedisOption func(*redisConfig)

type redisConfig struct {
	password   string
	appendOnly bool
	tls        *RedisTLS
}

// RedisTLS is how a Redis started WithTLS serves TLS.
type RedisTLS struct {
	CA     *CA
	Server Pair  // the certificate Redis shows
	Client *Pair // when set, Redis requires a client certificate signed by CA (tls-auth-clients yes) and the test's own clients show this one
}

// WithTLS makes the server speak TLS only (--tls-port, --port 0), with
// the certificate c.Server.
func WithTLS(c RedisTLS) RedisOption {
	return func(rc *redisConfig) { rc.tls = &c }
}

// WithPassword makes the server require a password (requirepass).
func WithPassword(password string) RedisOption {
	return func(c *redisConfig) { c.password = password }
}

// WithAppendOnly turns on the append-only file (appendonly yes, fsync always),
// so that Restart keeps the data.
func WithAppendOnly() RedisOption {
	return func(c *redisConfig) { c.appendOnly = true }
}

// Redis is a redis-server started for one test.
type Redis struct {
	t    testing.TB
	cfg  redisConfig
	bin  string
	dir  string
	port int

	mu  sync.Mutex
	cmd *exec.Cmd
	log *syncio.Buffer
}

const redisStartTimeout = 15 * time.Second

// StartRedis starts a real redis-server on a free loopback port with its files
// in t.TempDir(), waits until it answers PING and stops it when the test ends.
// Without redis-server on PATH the test is skipped, or fails when CI=true:
// a missing service must never pass CI silently.
func StartRedis(t testing.TB, opts ...RedisOption) *Redis {
	t.Helper()
	SkipShort(t, "redis-server")
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("testutil: redis-server not on PATH (CI=true, so this fails rather than skips; run scripts/install-deps.sh)")
		}
		t.Skipf("testutil: redis-server not on PATH; run scripts/install-deps.sh")
	}
	r := &Redis{t: t, bin: bin, dir: t.TempDir()}
	for _, o := range opts {
		o(&r.cfg)
	}
	t.Cleanup(r.Stop)
	// A free port can be taken by someone else between our probe and the
	// server's bind; try a few.
	var lastErr error
	for range 5 {
		r.port, err = freePort()
		if err != nil {
			t.Fatalf("testutil: free port: %v", err)
		}
		if lastErr = r.start(); lastErr == nil {
			return r
		}
	}
	t.Fatalf("testutil: start redis-server: %v", lastErr)
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (r *Redis) args() []string {
	a := []string{"--port", strconv.Itoa(r.port)}
	if c := r.cfg.tls; c != nil {
		auth := "no"
		if c.Client != nil {
			auth = "yes"
		}
		a = []string{"--port", "0", "--tls-port", strconv.Itoa(r.port),
			"--tls-cert-file", c.Server.CertFile, "--tls-key-file", c.Server.KeyFile,
			"--tls-ca-cert-file", c.CA.CertFile, "--tls-auth-clients", auth}
	}
	a = append(a,
		"--bind", "127.0.0.1",
		"--dir", r.dir,
		"--save", "",
		"--daemonize", "no",
		"--protected-mode", "no",
		"--logfile", "",
	)
	if r.cfg.appendOnly {
		a = append(a, "--appendonly", "yes", "--appendfsync", "always")
	} else {
		a = append(a, "--appendonly", "no")
	}
	if r.cfg.password != "" {
		a = append(a, "--requirepass", r.cfg.password)
	}
	return a
}

func (r *Redis) start() error {
	cmd := exec.Command(r.bin, r.args()...)
	log := &syncio.Buffer{}
	cmd.Stdout = log
	cmd.Stderr = log
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	c := redis.NewClient(r.options(0, -1))
	defer c.Close()
	deadline := time.Now().Add(redisStartTimeout)
	for {
		select {
		case err := <-exited:
			return fmt.Errorf("redis-server exited (%v): %s", err, log.String())
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-exited
			return fmt.Errorf("redis-server on %s did not answer PING in %v: %v", r.Addr(), redisStartTimeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	r.mu.Lock()
	r.cmd, r.log = cmd, log
	r.mu.Unlock()
	// Keep the exit status for Stop.
	go func() {
		<-exited
		r.mu.Lock()
		if r.cmd == cmd {
			r.cmd = nil
		}
		r.mu.Unlock()
	}()
	return nil
}

// options are the client options of the test's own connections.
func (r *Redis) options(db, maxRetries int) *redis.Options {
	return &redis.Options{Addr: r.Addr(), Password: r.cfg.password, DB: db, DisableIdentity: true,
		MaxRetries: maxRetries, TLSConfig: r.TLSConfig()}
}

// TLSConfig is what a client needs to talk to a server started WithTLS
// (nil otherwise): the CA, and the client certificate when one is required.
func (r *Redis) TLSConfig() *tls.Config {
	c := r.cfg.tls
	if c == nil {
		return nil
	}
	tc := &tls.Config{RootCAs: c.CA.Pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
	if c.Client != nil {
		tc.Certificates = []tls.Certificate{c.Client.Cert}
	}
	return tc
}

// Addr is host:port of the server.
func (r *Redis) Addr() string { return "127.0.0.1:" + strconv.Itoa(r.port) }

// Password is the password the server requires ("" for none).
func (r *Redis) Password() string { return r.cfg.password }

// Dir is the server's data directory.
func (r *Redis) Dir() string { return r.dir }

// Client returns a client of database db, flushed first, closed when the test ends.
func (r *Redis) Client(db int) *redis.Client {
	r.t.Helper()
	c := redis.NewClient(r.options(db, 0))
	r.t.Cleanup(func() { _ = c.Close() })
	if err := c.FlushDB(context.Background()).Err(); err != nil {
		r.t.Fatalf("testutil: flush redis db %d: %v", db, err)
	}
	return c
}

// Restart shuts the server down (SHUTDOWN, which writes the append-only file
// when it is on) and starts it again on the same port and directory.
func (r *Redis) Restart(t testing.TB) {
	t.Helper()
	r.shutdown()
	var err error
	for range 50 {
		if err = r.start(); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond) // the port may linger for a moment
	}
	t.Fatalf("testutil: restart redis-server: %v", err)
}

func (r *Redis) shutdown() {
	r.mu.Lock()
	cmd := r.cmd
	r.mu.Unlock()
	if cmd == nil {
		return
	}
	c := redis.NewClient(r.options(0, -1))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	_ = c.Shutdown(ctx).Err() // the connection closes under us: an error is normal
	cancel()
	_ = c.Close()
	r.waitExit(cmd, 10*time.Second)
}

// waitExit waits until cmd has exited, killing it after timeout.
func (r *Redis) waitExit(cmd *exec.Cmd, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for {
		r.mu.Lock()
		gone := r.cmd != cmd
		r.mu.Unlock()
		if gone {
			return
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			deadline = time.Now().Add(timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Stop stops the server; it is safe to call more than once.
func (r *Redis) Stop() {
	r.mu.Lock()
	cmd := r.cmd
	r.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(os.Interrupt)
	r.waitExit(cmd, 5*time.Second)
}

// Log returns what the server wrote to stdout and stderr so far.
func (r *Redis) Log() string {
	r.mu.Lock()
	log := r.log
	r.mu.Unlock()
	if log == nil {
		return ""
	}
	return log.String()
}
