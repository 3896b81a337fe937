package server_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/drover-ml/drover/api"
	"github.com/drover-ml/drover/internal/server"
	"github.com/drover-ml/drover/internal/servertest"
	"github.com/drover-ml/drover/internal/testutil"
)

func trusting(pool *x509.CertPool) *http.Client {
	return &http.Client{
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// TestHTTPS: with tls_cert_file and tls_key_file the server serves HTTPS
// only, with the certificate a test CA issued; the login cookie is Secure;
// a plain-HTTP request and a client that does not trust the certificate are
// refused and the server keeps serving.
func TestHTTPS(t *testing.T) {
	ca := testutil.NewCA(t, "drover test CA")
	pair := ca.Server("drover")
	cfg := newConfig(t)
	cfg.APIToken = sessionTestToken
	cfg.TLSCertFile, cfg.TLSKeyFile = pair.CertFile, pair.KeyFile
	srv := servertest.Start(t, cfg)
	if !strings.HasPrefix(srv.URL(), "https://") {
		t.Fatalf("URL %s: want https://", srv.URL())
	}
	hc := trusting(ca.Pool)
	cl := api.NewClient(srv.URL(), sessionTestToken)
	cl.HTTP = hc
	stillServing := func() {
		t.Helper()
		if _, err := cl.ListDatasets(context.Background()); err != nil {
			t.Fatalf("server stopped serving over https: %v", err)
		}
	}
	stillServing()
	if _, err := cl.UploadDataset(context.Background(), servertest.Examples("iris.csv"), nil); err != nil {
		t.Fatalf("upload over https: %v", err)
	}

	// The login form over TLS sets a Secure cookie (public_url is empty here).
	req, _ := http.NewRequest(http.MethodPost, srv.URL()+"/login", strings.NewReader(url.Values{"token": {sessionTestToken}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == server.SessionCookie && c.Value != "" {
			session = c
		}
	}
	if session == nil || !session.Secure || !session.HttpOnly {
		t.Errorf("session cookie over https: %+v, want Secure and HttpOnly", session)
	}

	// Plain HTTP on the HTTPS port: Go's TLS server answers 400, nothing else.
	conn, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.WriteString(conn, "GET /api/v1/datasets HTTP/1.1\r\nHost: "+srv.Addr()+"\r\nAuthorization: Bearer "+sessionTestToken+"\r\n\r\n")
	line, _ := bufio.NewReader(conn).ReadString('\n')
	conn.Close()
	if !strings.Contains(line, "400") {
		t.Errorf("plain HTTP to the HTTPS port: %q, want a 400", line)
	}
	stillServing()

	// A client that does not trust the CA refuses the server; a client
	// that trusts another CA too.
	for name, pool := range map[string]*x509.CertPool{"system roots": nil, "another CA": testutil.NewCA(t, "other").Pool} {
		_, err := trusting(pool).Get(srv.URL() + "/healthz")
		var unknown x509.UnknownAuthorityError
		var verify *tls.CertificateVerificationError
		if err == nil || !(errors.As(err, &unknown) || errors.As(err, &verify)) {
			t.Errorf("%s: GET over https: %v, want a certificate error", name, err)
		}
	}
	stillServing()
}

// TestTLSFilesRefused: a server with a missing or mismatched certificate does
// not start, and the error names the key.
func TestTLSFilesRefused(t *testing.T) {
	ca := testutil.NewCA(t, "drover test CA")
	a, b := ca.Server("a"), ca.Server("b")
	for _, c := range []struct{ cert, key, want string }{
		{"/nonexistent/cert.pem", a.KeyFile, "tls_cert_file: cannot read /nonexistent/cert.pem"},
		{a.CertFile, "/nonexistent/key.pem", "tls_key_file: cannot read /nonexistent/key.pem"},
		{a.CertFile, b.KeyFile, "private key does not match public key"},
		{ca.CertFile, a.KeyFile, "tls_cert_file"},
	} {
		cfg := newConfig(t)
		cfg.TLSCertFile, cfg.TLSKeyFile = c.cert, c.key
		srv, err := server.New(context.Background(), cfg, nil)
		if err == nil {
			srv.Stop()
			t.Errorf("cert %s key %s: server started", c.cert, c.key)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("cert %s key %s: %v, want it to say %q", c.cert, c.key, err, c.want)
		}
	}
}
