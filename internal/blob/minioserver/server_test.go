package minioserver_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/drover-ml/drover/internal/blob/minioserver"
	"github.com/drover-ml/drover/internal/blob/s3"
	"github.com/drover-ml/drover/internal/syncio"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func binary(t *testing.T) string {
	t.Helper()
	bin, err := minioserver.FindBinary()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	return bin
}

func TestSupervisor(t *testing.T) {
	bin := binary(t)
	logs := &syncio.Buffer{}
	const secret = "s3cr3t-Pa55word"
	srv, err := minioserver.New(minioserver.Config{
		Binary:     bin,
		DataDir:    filepath.Join(t.TempDir(), "minio"),
		Address:    freeAddr(t),
		AccessKey:  "drover",
		SecretKey:  secret,
		Logger:     slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		MinBackoff: 50 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()

	st, err := s3.New(s3.Config{Endpoint: srv.Endpoint(), AccessKey: "drover", SecretKey: secret, Bucket: "drover"})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.EnsureBucket(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := st.Put(t.Context(), "k", strings.NewReader("v"), 1); err != nil {
		t.Fatal(err)
	}

	// Kill the child behind the supervisor's back: it comes back, data intact.
	pid := findChild(t, srv.Endpoint())
	syscall.Kill(pid, syscall.SIGKILL)
	deadline := time.Now().Add(60 * time.Second)
	for srv.Restarts() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if srv.Restarts() != 1 {
		t.Fatalf("restarts = %d", srv.Restarts())
	}
	if err := st.WaitBucket(t.Context(), 30*time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Stat(t.Context(), "k"); err != nil {
		t.Fatalf("object lost across restart: %v", err)
	}

	srv.Stop()
	srv.Stop() // idempotent
	if err := st.WaitBucket(t.Context(), 200*time.Millisecond); err == nil {
		t.Fatal("minio still answers after Stop")
	}
	if strings.Contains(logs.String(), secret) {
		t.Fatalf("secret in logs:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "minio exited; restarting") {
		t.Errorf("no restart logged:\n%s", logs.String())
	}
}

// findChild returns the pid of the minio process listening on endpoint.
func findChild(t *testing.T, endpoint string) int {
	t.Helper()
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		args := strings.Split(string(b), "\x00")
		if len(args) > 1 && filepath.Base(args[0]) == "minio" && strings.Contains(string(b), endpoint) {
			pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(p)))
			return pid
		}
	}
	t.Fatalf("no minio process for %s", endpoint)
	return 0
}

func TestStopBeforeStart(t *testing.T) {
	srv, err := minioserver.New(minioserver.Config{Binary: "/bin/false", DataDir: t.TempDir(), Address: "127.0.0.1:1", AccessKey: "abc", SecretKey: "12345678"})
	if err != nil {
		t.Fatal(err)
	}
	srv.Stop()
}

func TestStartFailsClearly(t *testing.T) {
	bin := binary(t)
	// Two servers on one address: the second cannot bind.
	addr := freeAddr(t)
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	srv, err := minioserver.New(minioserver.Config{Binary: bin, DataDir: t.TempDir(), Address: addr, AccessKey: "abc", SecretKey: "12345678", ReadyTimeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	err = srv.Start(ctx)
	if err == nil {
		srv.Stop()
		t.Fatal("Start succeeded on a busy port")
	}
	t.Log(err)
}

func TestValidateCredentials(t *testing.T) {
	cases := []struct {
		access, secret string
		ok             bool
	}{
		{"abc", "12345678", true},
		{"ab", "12345678", false},
		{"abc", "1234567", false},
		{"", "", false},
	}
	for _, c := range cases {
		err := minioserver.ValidateCredentials(c.access, c.secret)
		if (err == nil) != c.ok {
			t.Errorf("ValidateCredentials(%q, %q) = %v", c.access, c.secret, err)
		}
		if err != nil && (!errors.Is(err, minioserver.ErrCredentials) || (c.secret != "" && strings.Contains(err.Error(), c.secret))) {
			t.Errorf("error %q: not ErrCredentials or leaks the secret", err)
		}
	}
	if _, err := minioserver.New(minioserver.Config{Binary: "/bin/true", DataDir: "d", Address: "127.0.0.1:9000", AccessKey: "minio", SecretKey: "short"}); !errors.Is(err, minioserver.ErrCredentials) {
		t.Errorf("New with a short secret = %v", err)
	}
}

func TestAddresses(t *testing.T) {
	ctx := t.Context()
	for addr, want := range map[string]bool{
		"127.0.0.1:9000": true,
		"localhost:9000": true,
		"[::1]:9000":     true,
		"0.0.0.0:9000":   true,
		"192.0.2.1:9000": false, // TEST-NET-1: never a local address
	} {
		got, err := minioserver.IsLocalAddress(ctx, addr)
		if err != nil || got != want {
			t.Errorf("IsLocalAddress(%s) = %v, %v; want %v", addr, got, err, want)
		}
	}
	for _, c := range []struct {
		main string
		port int
		want string
	}{
		{"127.0.0.1:9000", 9000, "127.0.0.1:9000"},
		{"10.1.2.3:9000", 9001, "10.1.2.3:9001"},
		{"localhost:9000", 9000, "127.0.0.1:9000"},
		{"minio.example:9000", 9000, "0.0.0.0:9000"},
	} {
		got, err := minioserver.ListenAddress(c.main, c.port)
		if err != nil || got != c.want {
			t.Errorf("ListenAddress(%s, %d) = %s, %v; want %s", c.main, c.port, got, err, c.want)
		}
	}
	if _, err := minioserver.ListenAddress("127.0.0.1:9000", 0); err == nil {
		t.Error("port 0 accepted")
	}
}

func TestWanted(t *testing.T) {
	for _, c := range []struct {
		mode, addr string
		port       int
		want       bool
	}{
		{"multinode", "127.0.0.1:9000", 9000, true},
		{"multinode", "127.0.0.1:9000", 0, false},
		{"singlenode", "127.0.0.1:9000", 9000, false},
		{"multiprocessing", "127.0.0.1:9000", 9000, false},
		{"multinode", "192.0.2.7:9000", 9000, false},
	} {
		got, err := minioserver.Wanted(t.Context(), c.mode, c.addr, c.port)
		if err != nil || got != c.want {
			t.Errorf("Wanted(%s, %s, %d) = %v, %v; want %v", c.mode, c.addr, c.port, got, err, c.want)
		}
	}
}
