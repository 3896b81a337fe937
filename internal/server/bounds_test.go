package server_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drover-ml/drover/internal/server"
)

// counting is an endless (or n-byte) body that counts what the client sent.
type counting struct {
	fill byte   // repeated byte, or
	line []byte // repeated line
	left int64
	sent atomic.Int64
}

func (c *counting) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, io.EOF
	}
	n := min(int64(len(p)), c.left)
	for i := range p[:n] {
		if c.line != nil {
			p[i] = c.line[(c.sent.Load()+int64(i))%int64(len(c.line))]
		} else {
			p[i] = c.fill
		}
	}
	c.left -= n
	c.sent.Add(n)
	return int(n), nil
}

// tmpLeft lists what an upload left in the data directory's tmp folder.
func tmpLeft(t *testing.T, dataDir string) []string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dataDir, "tmp", "*"))
	return m
}

func postBody(t *testing.T, url string, body io.Reader, ct string) (int, string) {
	t.Helper()
	status, code, _ := call(t, http.MethodPost, url, body, "Content-Type", ct)
	return status, code
}

// TestUploadBounds: an upload over max_upload_size_mb is refused as soon as
// it passes the limit, one that is not text within its first megabyte, and
// a dataset with more than max_columns columns; nothing stays on disk.
func TestUploadBounds(t *testing.T) {
	cfg := newConfig(t)
	cfg.MaxUploadSizeMB = 1
	cfg.MaxColumns = 10
	h := start(t, cfg)
	url := h.srv.URL() + "/api/v1/datasets?name=x.csv"
	const total = 256 << 20

	big := &counting{line: []byte("1,2,3\n"), left: total}
	status, code := postBody(t, url, big, "text/csv")
	if status != http.StatusRequestEntityTooLarge || code != "too_large" {
		t.Errorf("2x the limit: %d %s, want 413 too_large", status, code)
	}
	if sent := big.sent.Load(); sent >= total/2 {
		t.Errorf("the client sent %d of %d bytes before the refusal: the server read on past the limit", sent, total)
	}

	cfg2 := *cfg
	cfg2.MaxUploadSizeMB = 10240
	cfg2.DataDirectory = t.TempDir()
	h2 := start(t, &cfg2)
	zeros := &counting{fill: 0, left: total}
	status, code = postBody(t, h2.srv.URL()+"/api/v1/datasets", zeros, "application/octet-stream")
	if status != http.StatusBadRequest || code != "not_csv" {
		t.Errorf("256 MiB of zeros: %d %s, want 400 not_csv", status, code)
	}
	if sent := zeros.sent.Load(); sent >= total/2 {
		t.Errorf("the client sent %d of %d zero bytes before the refusal", sent, total)
	}

	wide := strings.Repeat("c,", 10) + "c\n" + strings.Repeat("1,", 10) + "1\n"
	status, code = postBody(t, url, strings.NewReader(wide), "text/csv")
	if status != http.StatusBadRequest || code != "too_many_columns" {
		t.Errorf("11 columns with max_columns = 10: %d %s", status, code)
	}
	for _, d := range []string{cfg.DataDirectory, cfg2.DataDirectory} {
		if left := tmpLeft(t, d); len(left) != 0 {
			t.Errorf("refused uploads left files: %v", left)
		}
	}
	h.upload(examples("iris.csv"))
	h.stillServing()
	h2.stillServing()
}

// TestUploadDiskFull: an upload that would leave the disk under 5 % free
// is refused with disk_full.
func TestUploadDiskFull(t *testing.T) {
	defer server.SetDiskSpace(4<<20, 100<<20)()
	cfg := newConfig(t)
	h := start(t, cfg)
	status, code := postBody(t, h.srv.URL()+"/api/v1/datasets", strings.NewReader("a,b\n1,2\n3,4\n"), "text/csv")
	if status != http.StatusInsufficientStorage || code != "disk_full" {
		t.Errorf("upload with 4 %% free: %d %s, want 507 disk_full", status, code)
	}
	if left := tmpLeft(t, cfg.DataDirectory); len(left) != 0 {
		t.Errorf("refused upload left files: %v", left)
	}
	h.stillServing()
}

// TestUploadDiskUnknown: when the server cannot read its free disk space
// (statfs fails, or reports a file system of size 0) an upload is refused
// with disk_unknown instead of being let through, and nothing is left.
func TestUploadDiskUnknown(t *testing.T) {
	cfg := newConfig(t)
	h := start(t, cfg)
	for name, f := range map[string]func(string) (int64, int64, error){
		"statfs fails": func(string) (int64, int64, error) { return 0, 0, errors.New("input/output error") },
		"size 0":       func(string) (int64, int64, error) { return 0, 0, nil },
	} {
		restore := server.SetDiskSpaceFunc(f)
		status, code := postBody(t, h.srv.URL()+"/api/v1/datasets", strings.NewReader("a,b\n1,2\n3,4\n"), "text/csv")
		restore()
		if status != http.StatusServiceUnavailable || code != "disk_unknown" {
			t.Errorf("upload when %s: %d %s, want 503 disk_unknown", name, status, code)
		}
		if left := tmpLeft(t, cfg.DataDirectory); len(left) != 0 {
			t.Errorf("refused upload (%s) left files: %v", name, left)
		}
	}
	h.upload(examples("iris.csv"))
	h.stillServing()
}

// TestUploadIdle: an upload that stops sending is dropped after the idle
// timeout, leaves nothing on disk, and the server keeps serving.
func TestUploadIdle(t *testing.T) {
	defer server.SetUploadIdleTimeout(300 * time.Millisecond)()
	cfg := newConfig(t)
	h := start(t, cfg)
	conn, err := net.Dial("tcp", h.srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/v1/datasets?name=slow.csv HTTP/1.1\r\nHost: %s\r\nContent-Type: text/csv\r\nContent-Length: 100000\r\n\r\na,b\n1,2\n", h.srv.Addr())
	// The server answers (or closes) once the body has been silent for the
	// idle timeout; the generous deadline only stops a hung test.
	_ = conn.SetReadDeadline(time.Now().Add(60 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode < 400 {
			t.Fatalf("a stalled upload got %d", resp.StatusCode)
		}
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("the stalled upload was never dropped")
	}
	h.waitFor("the stalled upload's file removed", func() bool { return len(tmpLeft(t, cfg.DataDirectory)) == 0 })
	h.stillServing()
}

// TestUploadSlots: with every upload slot taken by a stalled upload, the
// next one gets 429 too_many_uploads; the server still answers the rest.
func TestUploadSlots(t *testing.T) {
	cfg := newConfig(t)
	cfg.MaxConcurrentUploads = 1
	h := start(t, cfg)
	conn, err := net.Dial("tcp", h.srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/v1/datasets?name=slow.csv HTTP/1.1\r\nHost: %s\r\nContent-Type: text/csv\r\nContent-Length: 100000\r\n\r\na,b\n", h.srv.Addr())
	h.waitFor("the stalled upload's file", func() bool { return len(tmpLeft(t, cfg.DataDirectory)) == 1 })
	status, code := postBody(t, h.srv.URL()+"/api/v1/datasets", strings.NewReader("a,b\n1,2\n3,4\n"), "text/csv")
	if status != http.StatusTooManyRequests || code != "too_many_uploads" {
		t.Errorf("second upload with one slot: %d %s, want 429 too_many_uploads", status, code)
	}
	h.stillServing()
	conn.Close()
	h.waitFor("the slot back", func() bool {
		s, _ := postBody(t, h.srv.URL()+"/api/v1/datasets", strings.NewReader("a,b\n1,2\n3,4\n"), "text/csv")
		return s == http.StatusCreated
	})
}
