// Package minioserver runs and supervises a local MinIO server: the object
// store of a multinode main server (main_server_minio_address on this
// machine, local_minio_port != 0). It finds the minio binary, starts it with
// the configured root credentials, waits until it is live, restarts it with
// backoff when it dies and stops it on shutdown.
package minioserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Defaults applied by Config.withDefaults.
const (
	ReadyTimeoutDefault = 60 * time.Second
	MinBackoffDefault   = 500 * time.Millisecond
	MaxBackoffDefault   = 30 * time.Second
	StopTimeoutDefault  = 10 * time.Second
	// stableAfter is how long a child must live for the backoff to reset.
	stableAfter = time.Minute
)

// Log attribute keys.
const (
	attrAddress = "address"
	attrPID     = "pid"
	attrErr     = "err"
	attrBackoff = "backoff"
	attrOutput  = "output"
)

// Config describes the MinIO server to run.
type Config struct {
	Binary       string        // path of minio; "" = FindBinary()
	DataDir      string        // required: where MinIO keeps its data (<data_directory>/minio)
	Address      string        // required: host:port to listen on, e.g. 127.0.0.1:9000
	AccessKey    string        // root user, at least 3 characters
	SecretKey    string        // root password, at least 8 characters; never logged
	Logger       *slog.Logger  // nil = slog.Default()
	ReadyTimeout time.Duration // how long Start waits for /minio/health/live
	MinBackoff   time.Duration // first restart delay after the child dies
	MaxBackoff   time.Duration // longest restart delay
	StopTimeout  time.Duration // SIGTERM grace before SIGKILL
}

func (c Config) withDefaults() Config {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.ReadyTimeout <= 0 {
		c.ReadyTimeout = ReadyTimeoutDefault
	}
	if c.MinBackoff <= 0 {
		c.MinBackoff = MinBackoffDefault
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = MaxBackoffDefault
	}
	if c.StopTimeout <= 0 {
		c.StopTimeout = StopTimeoutDefault
	}
	return c
}

func (c Config) validate() error {
	if c.DataDir == "" {
		return errors.New("blob: minio server: empty data directory")
	}
	if _, _, err := net.SplitHostPort(c.Address); err != nil {
		return fmt.Errorf("blob: minio server: address %q: %w", c.Address, err)
	}
	return ValidateCredentials(c.AccessKey, c.SecretKey)
}

// Server supervises one minio child process.
type Server struct {
	cfg Config
	log *slog.Logger

	mu       sync.Mutex
	started  bool
	cancel   context.CancelFunc
	done     chan struct{}
	stopOnce sync.Once

	restarts atomic.Int64
}

// New validates cfg and resolves the binary. It starts nothing.
func New(cfg Config) (*Server, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.Binary == "" {
		bin, err := FindBinary()
		if err != nil {
			return nil, err
		}
		cfg.Binary = bin
	}
	return &Server{cfg: cfg, log: cfg.Logger.With("component", "minio")}, nil
}

// Endpoint returns the host:port clients on this machine use to reach the
// server (an unspecified listen host becomes 127.0.0.1).
func (s *Server) Endpoint() string {
	host, port, _ := net.SplitHostPort(s.cfg.Address)
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// Restarts returns how many times the child was restarted after dying.
func (s *Server) Restarts() int { return int(s.restarts.Load()) }

// Start runs minio and waits until it is live (at most Config.ReadyTimeout).
// The child then runs until Stop is called or ctx is cancelled; if it dies
// it is restarted with exponential backoff.
func (s *Server) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return errors.New("blob: minio server: already started")
	}
	if err := os.MkdirAll(s.cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("blob: minio server: %w", err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	c, err := s.spawn()
	if err != nil {
		cancel()
		return err
	}
	readyCtx, readyCancel := context.WithTimeout(runCtx, s.cfg.ReadyTimeout)
	err = WaitReady(readyCtx, s.Endpoint(), c.exited)
	readyCancel()
	if err != nil {
		s.kill(c)
		cancel()
		return fmt.Errorf("%w (minio output: %s)", err, c.out.tail())
	}
	s.log.Info("minio ready", attrAddress, s.cfg.Address, attrPID, c.cmd.Process.Pid)
	s.started = true
	s.cancel = cancel
	s.done = make(chan struct{})
	go s.supervise(runCtx, c)
	return nil
}

// Stop stops the child (SIGTERM, then SIGKILL after Config.StopTimeout) and
// waits for it. It is safe to call more than once, and before Start.
func (s *Server) Stop() {
	s.mu.Lock()
	started, cancel, done := s.started, s.cancel, s.done
	s.mu.Unlock()
	if !started {
		return
	}
	s.stopOnce.Do(cancel)
	<-done
}

// child is one running minio process.
type child struct {
	cmd     *exec.Cmd
	exited  chan struct{} // closed when Wait returns
	waitErr error
	out     *lineLog
	started time.Time
}

func (s *Server) spawn() (*child, error) {
	cmd := exec.Command(s.cfg.Binary, "server", s.cfg.DataDir,
		"--address", s.cfg.Address,
		"--console-address", "127.0.0.1:0",
		"--quiet", "--anonymous")
	cmd.Env = append(os.Environ(),
		"MINIO_ROOT_USER="+s.cfg.AccessKey,
		"MINIO_ROOT_PASSWORD="+s.cfg.SecretKey,
		"MINIO_UPDATE=off",
		"MINIO_BROWSER_REDIRECT=off",
	)
	out := newLineLog(s.log, s.cfg.SecretKey)
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.SysProcAttr = procAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("blob: minio server: start %s: %w", s.cfg.Binary, err)
	}
	c := &child{cmd: cmd, exited: make(chan struct{}), out: out, started: time.Now()}
	go func() {
		c.waitErr = cmd.Wait()
		out.flush()
		close(c.exited)
	}()
	return c, nil
}

// kill stops c: SIGTERM to its process group, SIGKILL after StopTimeout.
func (s *Server) kill(c *child) {
	pid := c.cmd.Process.Pid
	_ = syscall.Kill(-pid, syscall.SIGTERM)
	select {
	case <-c.exited:
		return
	case <-time.After(s.cfg.StopTimeout):
	}
	s.log.Warn("minio did not stop in time; killing it", attrPID, pid)
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	<-c.exited
}

func (s *Server) supervise(ctx context.Context, c *child) {
	defer close(s.done)
	backoff := s.cfg.MinBackoff
	for {
		select {
		case <-ctx.Done():
			s.kill(c)
			s.log.Info("minio stopped", attrAddress, s.cfg.Address)
			return
		case <-c.exited:
		}
		if time.Since(c.started) > stableAfter {
			backoff = s.cfg.MinBackoff
		}
		s.log.Warn("minio exited; restarting", attrPID, c.cmd.Process.Pid, attrErr, c.waitErr,
			attrBackoff, backoff, attrOutput, c.out.tail())
		for {
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, s.cfg.MaxBackoff)
			next, err := s.spawn()
			if err != nil {
				s.log.Error("minio restart failed", attrErr, err, attrBackoff, backoff)
				continue
			}
			c = next
			s.restarts.Add(1)
			readyCtx, cancel := context.WithTimeout(ctx, s.cfg.ReadyTimeout)
			err = WaitReady(readyCtx, s.Endpoint(), c.exited)
			cancel()
			if err != nil && ctx.Err() == nil {
				s.log.Error("minio restarted but not ready", attrErr, err, attrOutput, c.out.tail())
			} else if err == nil {
				s.log.Info("minio ready again", attrAddress, s.cfg.Address, attrPID, c.cmd.Process.Pid)
			}
			break
		}
	}
}
