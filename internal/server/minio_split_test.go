package server_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/drover-ml/drover/api"
	"github.com/drover-ml/drover/internal/config"
	"github.com/drover-ml/drover/internal/server"
	"github.com/drover-ml/drover/internal/servertest"
	"github.com/drover-ml/drover/internal/syncio"
	"github.com/drover-ml/drover/internal/testutil"
)

func freeTCPPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func multinodeConfig(t *testing.T, redis *testutil.Redis) *config.Config {
	cfg := servertest.Config(t)
	cfg.WorkerMode = config.ModeMultinode
	host, port, _ := net.SplitHostPort(redis.Addr())
	cfg.RedisIP = host
	cfg.RedisPort, _ = strconv.Atoi(port)
	cfg.MainServerMinioAccessKeyID = "drover-split"
	cfg.MainServerMinioSecretAccessKey = "split-secret-123"
	return cfg
}

// TestMinIOSplit is the fault of issue 10: main_server_minio_address names a
// MinIO the user already runs on this machine while local_minio_port is left
// at its default. The server uses that MinIO and starts none (its log says
// so); datasets land in the user's bucket, where workers look. When nothing
// answers at the address and its port is not local_minio_port, the server
// refuses to start with one line naming both keys; something that answers
// but is no S3 store is refused too.
func TestMinIOSplit(t *testing.T) {
	redis := testutil.StartRedis(t)
	mio := testutil.StartMinIO(t)

	t.Run("existing MinIO is used", func(t *testing.T) {
		cfg := multinodeConfig(t, redis)
		cfg.MainServerMinioAddress = mio.Endpoint()
		cfg.MainServerMinioAccessKeyID, cfg.MainServerMinioSecretAccessKey = mio.AccessKey(), mio.SecretKey()
		cfg.MainServerMinioBucket = "split-" + strconv.Itoa(freeTCPPort(t))
		cfg.LocalMinioPort = config.DefaultLocalMinioPort // 9000: not the address's port
		var logBuf syncio.Buffer
		log := slog.New(slog.NewTextHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelInfo}))
		srv, err := server.New(context.Background(), cfg, log)
		if err != nil {
			t.Fatalf("server with an existing MinIO at %s: %v", mio.Endpoint(), err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		if err := srv.Serve(context.Background(), ln); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(srv.Stop)
		if !strings.Contains(logBuf.String(), "already answers at main_server_minio_address "+mio.Endpoint()+": using it, starting no MinIO") {
			t.Errorf("server log does not say it uses the existing MinIO:\n%s", logBuf.String())
		}
		if _, err := os.Stat(filepath.Join(cfg.DataDirectory, "minio")); !os.IsNotExist(err) {
			t.Errorf("the server made %s/minio (started its own MinIO?): %v", cfg.DataDirectory, err)
		}
		h := &harness{t: t, cfg: cfg, srv: srv}
		h.cl = api.NewClient(srv.URL(), "")
		ds := h.upload(servertest.Examples("iris.csv"))
		found := false
		for o := range mio.Client().ListObjects(context.Background(), cfg.MainServerMinioBucket, minio.ListObjectsOptions{Recursive: true}) {
			if o.Err != nil {
				t.Fatal(o.Err)
			}
			if strings.HasSuffix(o.Key, ds.SHA256) {
				found = true
			}
		}
		if !found {
			t.Errorf("dataset %s is not in bucket %s of the user's MinIO", ds.SHA256, cfg.MainServerMinioBucket)
		}
		h.stillServing()
	})

	t.Run("nothing answers on another port", func(t *testing.T) {
		cfg := multinodeConfig(t, redis)
		addrPort, localPort := freeTCPPort(t), freeTCPPort(t)
		cfg.MainServerMinioAddress = fmt.Sprintf("127.0.0.1:%d", addrPort)
		cfg.LocalMinioPort = localPort
		_, err := server.New(context.Background(), cfg, nil)
		if err == nil {
			t.Fatal("server started with its MinIO and the workers' on different ports")
		}
		msg := err.Error()
		for _, want := range []string{"main_server_minio_address", "local_minio_port", "nothing answers",
			fmt.Sprintf("set local_minio_port = %d", addrPort)} {
			if !strings.Contains(msg, want) {
				t.Errorf("error %q does not say %q", msg, want)
			}
		}
		if strings.Contains(msg, "\n") {
			t.Errorf("error is not one line: %q", msg)
		}
		if _, err := os.Stat(filepath.Join(cfg.DataDirectory, "minio")); !os.IsNotExist(err) {
			t.Errorf("a refused server made %s/minio", cfg.DataDirectory)
		}
	})

	t.Run("something that is not S3", func(t *testing.T) {
		web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "a web app", http.StatusNotFound)
		}))
		defer web.Close()
		cfg := multinodeConfig(t, redis)
		cfg.MainServerMinioAddress = web.Listener.Addr().String()
		_, port, _ := net.SplitHostPort(cfg.MainServerMinioAddress)
		cfg.LocalMinioPort, _ = strconv.Atoi(port)
		_, err := server.New(context.Background(), cfg, nil)
		if err == nil || !strings.Contains(err.Error(), "but not as S3 (HTTP 404)") {
			t.Fatalf("server with a web app at the MinIO address: %v", err)
		}
	})
}

// TestMinIOOverTLS: a MinIO serving HTTPS with a certificate of a test CA
// is used with main_server_minio_tls and main_server_minio_ca_file; without
// the CA file the server refuses to start, naming the key.
func TestMinIOOverTLS(t *testing.T) {
	redis := testutil.StartRedis(t)
	ca := testutil.NewCA(t, "minio CA")
	mio := testutil.StartMinIOTLS(t, ca, ca.Server("minio"))
	cfg := multinodeConfig(t, redis)
	cfg.MainServerMinioAddress = mio.Endpoint()
	cfg.MainServerMinioAccessKeyID, cfg.MainServerMinioSecretAccessKey = mio.AccessKey(), mio.SecretKey()
	cfg.MainServerMinioBucket = "tls-" + strconv.Itoa(freeTCPPort(t))
	cfg.MainServerMinioTLS = true

	_, err := server.New(context.Background(), cfg, nil)
	if err == nil || !strings.Contains(err.Error(), "set main_server_minio_ca_file") {
		t.Fatalf("server with an untrusted MinIO certificate: %v, want a refusal naming main_server_minio_ca_file", err)
	}

	cfg.MainServerMinioCAFile = ca.CertFile
	h := start(t, cfg)
	ds := h.upload(servertest.Examples("iris.csv"))
	found := false
	for o := range mio.Client().ListObjects(context.Background(), cfg.MainServerMinioBucket, minio.ListObjectsOptions{Recursive: true}) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		found = found || strings.HasSuffix(o.Key, ds.SHA256)
	}
	if !found {
		t.Errorf("dataset %s is not in the TLS MinIO's bucket", ds.SHA256)
	}
	h.stillServing()
}
