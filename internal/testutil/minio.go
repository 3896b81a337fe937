package testutil

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/drover-ml/drover/internal/blob/minioserver"
	"github.com/drover-ml/drover/internal/syncio"
)

const minioStartTimeout = 30 * time.Second

// MinIO is a minio server started for one test.
type MinIO struct {
	t      testing.TB
	bin    string
	dir    string
	port   int
	access string
	secret string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	out    *syncio.Buffer
}

var minioBuckets atomic.Int64

// StartMinIO starts a real minio server on a free loopback port with its data
// in t.TempDir() and random credentials, waits until it is live and stops it
// when the test ends. Without the minio binary (see
// minioserver.FindBinary) the test is skipped, or fails when CI=true.
func StartMinIO(t testing.TB) *MinIO {
	t.Helper()
	SkipShort(t, "minio")
	bin, err := minioserver.FindBinary()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("testutil: %v", err)
		}
		t.Skipf("testutil: %v", err)
	}
	m := &MinIO{
		t:      t,
		bin:    bin,
		dir:    t.TempDir(),
		access: "test" + randomHex(4),
		secret: randomHex(16),
	}
	t.Cleanup(m.Stop)
	var lastErr error
	for range 3 { // a free port can be taken between probe and bind
		m.port, err = minioFreePort()
		if err != nil {
			t.Fatalf("testutil: minio: %v", err)
		}
		if lastErr = m.start(); lastErr == nil {
			return m
		}
	}
	t.Fatalf("testutil: minio: %v", lastErr)
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func minioFreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (m *MinIO) start() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cmd != nil {
		return nil
	}
	cmd := exec.Command(m.bin, "server", m.dir, "--address", m.Endpoint(),
		"--console-address", "127.0.0.1:0", "--quiet")
	cmd.Env = append(os.Environ(),
		"MINIO_ROOT_USER="+m.access, "MINIO_ROOT_PASSWORD="+m.secret,
		"MINIO_UPDATE=off", "MINIO_BROWSER=off")
	out := &syncio.Buffer{Max: 1 << 20}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", m.bin, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	ctx, cancel := context.WithTimeout(context.Background(), minioStartTimeout)
	defer cancel()
	if err := minioserver.WaitReady(ctx, m.Endpoint(), exited); err != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
		return fmt.Errorf("%w; output:\n%s", err, out.String())
	}
	m.cmd, m.exited, m.out = cmd, exited, out
	return nil
}

// Endpoint returns host:port of the server.
func (m *MinIO) Endpoint() string { return "127.0.0.1:" + strconv.Itoa(m.port) }

// AccessKey returns the root user.
func (m *MinIO) AccessKey() string { return m.access }

// SecretKey returns the root password.
func (m *MinIO) SecretKey() string { return m.secret }

// Dir returns the server's data directory.
func (m *MinIO) Dir() string { return m.dir }

// Client returns a minio-go client with the root credentials.
func (m *MinIO) Client() *minio.Client {
	c, err := minio.New(m.Endpoint(), &minio.Options{
		Creds:  credentials.NewStaticV4(m.access, m.secret, ""),
		Region: "us-east-1",
	})
	if err != nil {
		m.t.Fatalf("testutil: minio client: %v", err)
	}
	return c
}

// NewBucket creates a bucket with a fresh name and returns the name.
func (m *MinIO) NewBucket(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("test-%d-%s", minioBuckets.Add(1), randomHex(3))
	if err := m.Client().MakeBucket(t.Context(), name, minio.MakeBucketOptions{}); err != nil {
		t.Fatalf("testutil: minio make bucket: %v", err)
	}
	return name
}

// Start starts the server again on the same port and directory after Stop
// or Kill. It does nothing when the server runs.
func (m *MinIO) Start() {
	m.t.Helper()
	if err := m.start(); err != nil {
		m.t.Fatalf("testutil: minio restart: %v", err)
	}
}

// Stop stops the server (SIGTERM, SIGKILL after 5 s) and waits for it.
// It does nothing when the server is not running.
func (m *MinIO) Stop() { m.stop(syscall.SIGTERM) }

// Kill stops the server abruptly with SIGKILL and waits for it.
func (m *MinIO) Kill() { m.stop(syscall.SIGKILL) }

func (m *MinIO) stop(sig syscall.Signal) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cmd == nil {
		return
	}
	pid := m.cmd.Process.Pid
	_ = syscall.Kill(-pid, sig)
	select {
	case <-m.exited:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		<-m.exited
	}
	m.cmd = nil
}

// Log returns what the server printed since it was last started.
func (m *MinIO) Log() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.out == nil {
		return ""
	}
	return m.out.String()
}
