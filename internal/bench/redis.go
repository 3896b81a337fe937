package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/drover-ml/drover/internal/syncio"
)

// ErrNoRedis: redis-server is not on PATH.
var ErrNoRedis = errors.New("bench: redis-server not on PATH (install it, e.g. scripts/install-deps.sh, or pass --redis ADDR)")

// Redis is a redis-server the benchmark started for itself: a free loopback
// port, files in a temporary directory, no persistence. It follows
// internal/testutil's StartRedis without the testing types.
type Redis struct {
	addr string
	dir  string
	cmd  *exec.Cmd
	done chan struct{}
	log  *syncio.Buffer
}

// StartRedis starts a redis-server on a free loopback port with its files
// in a new directory under dir and waits until it answers PING.
func StartRedis(ctx context.Context, dir string) (*Redis, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, ErrNoRedis
	}
	d, err := os.MkdirTemp(dir, "redis-")
	if err != nil {
		return nil, err
	}
	var last error
	// A free port can be taken by someone else between the probe and the
	// server's bind: try a few.
	for range 5 {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		r, err := startRedis(ctx, bin, d, port)
		if err == nil {
			return r, nil
		}
		last = err
	}
	return nil, fmt.Errorf("bench: start redis-server: %w", last)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func startRedis(ctx context.Context, bin, dir string, port int) (*Redis, error) {
	cmd := exec.Command(bin,
		"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir,
		"--save", "", "--appendonly", "no", "--daemonize", "no",
		"--protected-mode", "no", "--logfile", "")
	r := &Redis{addr: "127.0.0.1:" + strconv.Itoa(port), dir: dir, cmd: cmd, done: make(chan struct{}), log: &syncio.Buffer{}}
	cmd.Stdout, cmd.Stderr = r.log, r.log
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() { _ = cmd.Wait(); close(r.done) }()
	c := redis.NewClient(&redis.Options{Addr: r.addr, DisableIdentity: true, MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(15 * time.Second)
	for {
		select {
		case <-r.done:
			return nil, fmt.Errorf("redis-server exited: %s", strings.TrimSpace(r.log.String()))
		default:
		}
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		err := c.Ping(pctx).Err()
		cancel()
		if err == nil {
			return r, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			r.Stop()
			return nil, fmt.Errorf("redis-server on %s did not answer PING: %v", r.addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Addr is host:port.
func (r *Redis) Addr() string { return r.addr }

// Stop stops the server (SIGINT, then SIGKILL after 5 s) and removes its files.
func (r *Redis) Stop() {
	if r == nil || r.cmd.Process == nil {
		return
	}
	_ = r.cmd.Process.Signal(os.Interrupt)
	select {
	case <-r.done:
	case <-time.After(5 * time.Second):
		_ = r.cmd.Process.Kill()
		<-r.done
	}
	_ = os.RemoveAll(r.dir)
}

// info reads INFO sections into one map.
func info(ctx context.Context, c *redis.Client, sections ...string) (map[string]string, error) {
	s, err := c.Info(ctx, sections...).Result()
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	for line := range strings.SplitSeq(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		if k, v, ok := strings.Cut(line, ":"); ok {
			m[k] = v
		}
	}
	return m, nil
}

func infoInt(ctx context.Context, c *redis.Client, section, key string) (int64, error) {
	m, err := info(ctx, c, section)
	if err != nil {
		return 0, err
	}
	v, ok := m[key]
	if !ok {
		return 0, fmt.Errorf("INFO %s has no %s", section, key)
	}
	return strconv.ParseInt(v, 10, 64)
}

// commandStats reads, in one INFO call, total_commands_processed and the
// calls of each command (INFO commandstats).
func commandStats(ctx context.Context, c *redis.Client) (total int64, calls map[string]int64, err error) {
	m, err := info(ctx, c, "stats", "commandstats")
	if err != nil {
		return 0, nil, err
	}
	total, err = strconv.ParseInt(m["total_commands_processed"], 10, 64)
	if err != nil {
		return 0, nil, fmt.Errorf("INFO stats: total_commands_processed: %w", err)
	}
	out := map[string]int64{}
	for k, v := range m {
		name, ok := strings.CutPrefix(k, "cmdstat_")
		if !ok {
			continue
		}
		for f := range strings.SplitSeq(v, ",") {
			if n, ok := strings.CutPrefix(f, "calls="); ok {
				out[name], _ = strconv.ParseInt(n, 10, 64)
			}
		}
	}
	return total, out, nil
}
