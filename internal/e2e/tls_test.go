package e2e

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/drover-ml/drover/api"
	"github.com/drover-ml/drover/internal/testutil"
)

// TestTLSEverywhere: the server serves HTTPS with a certificate of a test
// CA; Redis (Debian's redis-server) speaks TLS only and requires client
// certificates; server and worker verify Redis's certificate against
// redis_tls_ca_file and show their own. An experiment runs end to end.
// Workers that do not trust Redis's certificate, or show none, are refused
// with one line naming the key to set, and Redis and the server keep serving.
func TestTLSEverywhere(t *testing.T) {
	ca := testutil.NewCA(t, "drover e2e CA")
	client := ca.Client("drover-client")
	redis := testutil.StartRedis(t, testutil.WithTLS(testutil.RedisTLS{CA: ca, Server: ca.Server("redis"), Client: &client}))
	httpsPair := ca.Server("drover-server")
	_, rport, _ := net.SplitHostPort(redis.Addr())
	redisTLS := []string{"DROVER_REDIS_TLS=true", "DROVER_REDIS_TLS_CA_FILE=" + ca.CertFile,
		"DROVER_REDIS_TLS_CERT_FILE=" + client.CertFile, "DROVER_REDIS_TLS_KEY_FILE=" + client.KeyFile}

	c := &cluster{t: t, redis: redis, srvDir: t.TempDir()}
	c.env = append([]string{"DROVER_WORKER_MODE=singlenode", "DROVER_REDIS_PORT=" + rport}, fastEnv...)
	port := freePort(t)
	c.url = fmt.Sprintf("https://127.0.0.1:%d", port)
	env := append(append(append([]string{}, c.env...), redisTLS...),
		"DROVER_DATA_DIRECTORY="+c.srvDir, fmt.Sprintf("DROVER_LISTEN_ADDRESS=127.0.0.1:%d", port),
		"DROVER_TLS_CERT_FILE="+httpsPair.CertFile, "DROVER_TLS_KEY_FILE="+httpsPair.KeyFile)
	c.server = startProc(t, "server", env, "server")
	c.transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool}}
	c.cl = c.client("")
	c.waitFor("server up over https", 30*time.Second, func() bool { return c.cl.Healthz(context.Background()) == nil })

	c.startWorker("tls-worker", redisTLS...)
	c.workersOnline(1)
	ds := c.dataset()
	e := c.create(api.Spec{DatasetID: ds.ID, Target: "species", Time: 1, Accuracy: 1})
	if e = c.waitStatus(e.ID, 3*time.Minute, api.StatusSucceeded, api.StatusFailed); e.Status != api.StatusSucceeded {
		t.Fatalf("experiment over TLS: %s %+v", e.Status, e.Error)
	}

	other := testutil.NewCA(t, "someone else's CA")
	for _, bad := range []struct {
		name string
		env  []string
		want []string
	}{
		{"system roots", []string{"DROVER_REDIS_TLS=true",
			"DROVER_REDIS_TLS_CERT_FILE=" + client.CertFile, "DROVER_REDIS_TLS_KEY_FILE=" + client.KeyFile},
			[]string{"set redis_tls_ca_file"}},
		{"another CA", []string{"DROVER_REDIS_TLS=true", "DROVER_REDIS_TLS_CA_FILE=" + other.CertFile,
			"DROVER_REDIS_TLS_CERT_FILE=" + client.CertFile, "DROVER_REDIS_TLS_KEY_FILE=" + client.KeyFile},
			[]string{"set redis_tls_ca_file"}},
		{"no client certificate", []string{"DROVER_REDIS_TLS=true", "DROVER_REDIS_TLS_CA_FILE=" + ca.CertFile},
			[]string{"redis_tls_cert_file", redis.Addr()}},
		{"plain text", nil, []string{"set redis_tls = true", redis.Addr()}},
	} {
		w := c.startWorker("bad-"+strings.ReplaceAll(bad.name, " ", "-"), bad.env...)
		if !w.wait(30 * time.Second) {
			t.Errorf("%s: the worker still runs, want it to exit", bad.name)
			continue
		}
		if w.cmd.ProcessState.ExitCode() == 0 {
			t.Errorf("%s: worker exited 0", bad.name)
		}
		for _, want := range bad.want {
			if !strings.Contains(w.Log(), want) {
				t.Errorf("%s: worker log does not say %q:\n%s", bad.name, want, w.Log())
			}
		}
	}
	if err := redis.Client(1).Ping(context.Background()).Err(); err != nil {
		t.Fatalf("redis after the refused workers: %v", err)
	}
	c.workersOnline(1)
	e = c.create(api.Spec{DatasetID: ds.ID, Target: "species", Time: 1, Accuracy: 1})
	if e = c.waitStatus(e.ID, 3*time.Minute, api.StatusSucceeded, api.StatusFailed); e.Status != api.StatusSucceeded {
		t.Fatalf("second experiment over TLS: %s %+v", e.Status, e.Error)
	}
}
