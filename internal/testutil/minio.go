package testutil

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
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
	tls    *tls.Config // set by StartMinIOTLS: how the test's clients trust it
	certs  string      // --certs-dir
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
	return startMinIO(t, nil)
}

// StartMinIOTLS is StartMinIO serving HTTPS only, with the certificate
// pair (signed by ca) in its --certs-dir.
func StartMinIOTLS(t testing.TB, ca *CA, pair Pair) *MinIO {
	t.Helper()
	dir := t.TempDir()
	for src, dst := range map[string]string{pair.CertFile: "public.crt", pair.KeyFile: "private.key"} {
		b, err := os.ReadFile(src)
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, dst), b, 0o600)
		}
		if err != nil {
			t.Fatalf("testutil: minio certs: %v", err)
		}
	}
	return startMinIO(t, &minioTLS{dir: dir, conf: &tls.Config{RootCAs: ca.Pool, MinVersion: tls.VersionTLS12}})
}

type minioTLS struct {
	dir  string
	conf *tls.Config
}

func startMinIO(t testing.TB, mt *minioTLS) *MinIO {
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
	if mt != nil {
		m.tls, m.certs = mt.conf, mt.dir
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
	args := []string{"server", m.dir, "--address", m.Endpoint(), "--console-address", "127.0.0.1:0", "--quiet"}
	if m.certs != "" {
		args = append(args, "--certs-dir", m.certs)
	}
	cmd := exec.Command(m.bin, args...)
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
	var ready error
	if m.tls != nil {
		ready = waitHTTPS(ctx, "https://"+m.Endpoint()+minioserver.ClusterHealthPath, m.tls, exited)
	} else {
		ready = minioserver.WaitReady(ctx, m.Endpoint(), exited)
	}
	if err := ready; err != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
		return fmt.Errorf("%w; output:\n%s", err, out.String())
	}
	m.cmd, m.exited, m.out = cmd, exited, out
	return nil
}

// waitHTTPS waits until url answers 200 over TLS.
func waitHTTPS(ctx context.Context, url string, tc *tls.Config, exited <-chan struct{}) error {
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: tc}}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("minio at %s not ready: %w", url, ctx.Err())
		case <-exited:
			return fmt.Errorf("minio at %s exited before it was ready", url)
		case <-time.After(50 * time.Millisecond):
		}
	}
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
	opts := &minio.Options{
		Creds:  credentials.NewStaticV4(m.access, m.secret, ""),
		Region: "us-east-1",
	}
	if m.tls != nil {
		opts.Secure = true
		opts.Transport = &http.Transport{TLSClientConfig: m.tls}
	}
	c, err := minio.New(m.Endpoint(), opts)
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
