package minioserver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/drover-ml/drover/internal/config"
)

// Plan is what a multinode main server does about MinIO.
type Plan struct {
	Start  bool   // run MinIO itself, listening on Listen
	Listen string // host:port; set when Start
	Note   string // one line for the log and for `drover config check`
}

// PlanError is a configuration that would split server and workers over two
// object stores, or point them at something that is no S3 store. Its message
// is one line naming the keys and the fix.
type PlanError struct{ Msg string }

func (e *PlanError) Error() string { return e.Msg }

// probeTimeout bounds the look at main_server_minio_address.
const probeTimeout = 3 * time.Second

// Decide says whether a multinode main server starts MinIO, given
// main_server_minio_address, local_minio_port and main_server_minio_tls
// (tc: the TLS client configuration for the look, nil for the defaults):
//
//   - the address is not this machine, or local_minio_port is 0: start
//     nothing and use the store there;
//   - something already answers there as S3: start nothing and use it
//     (whatever local_minio_port says);
//   - something answers that is not S3: refuse (a *PlanError);
//   - nothing answers and the address's port is local_minio_port: start
//     MinIO there;
//   - nothing answers on another port: refuse, since the server's MinIO
//     would listen on local_minio_port while workers use the address.
func Decide(ctx context.Context, address string, localPort int, secure bool, tc *tls.Config) (Plan, error) {
	local, err := IsLocalAddress(ctx, address)
	if err != nil {
		return Plan{}, err
	}
	if !local {
		return Plan{Note: "main_server_minio_address " + address + " is not this machine: using the S3 store there, starting no MinIO"}, nil
	}
	if localPort == 0 {
		return Plan{Note: "local_minio_port = 0: using the S3 store at " + address + ", starting no MinIO"}, nil
	}
	_, portStr, _ := net.SplitHostPort(address)
	port, _ := strconv.Atoi(portStr)
	switch answer, detail := probe(ctx, address, secure, tc); answer {
	case answerS3:
		note := "an S3 store already answers at main_server_minio_address " + address + ": using it, starting no MinIO"
		if port != localPort {
			note += " (local_minio_port " + strconv.Itoa(localPort) + " is not used)"
		}
		return Plan{Note: note}, nil
	case answerUntrusted:
		return Plan{}, &PlanError{Msg: "main_server_minio_address " + address + ": " + detail}
	case answerOther:
		return Plan{}, &PlanError{Msg: "main_server_minio_address " + address + " is this machine and something answers there, " +
			"but not as S3 (" + detail + "): point main_server_minio_address at your MinIO/S3 store, or free the port " +
			"so that drover starts MinIO there"}
	}
	if port != localPort {
		return Plan{}, &PlanError{Msg: fmt.Sprintf("main_server_minio_address %s is this machine but nothing answers there, "+
			"and local_minio_port is %d: the server would start MinIO on port %d while workers look for it on %d; "+
			"set local_minio_port = %d (drover then starts MinIO there), or start your MinIO on %s and keep it running",
			address, localPort, localPort, port, port, address)}
	}
	listen, err := ListenAddress(address, localPort)
	if err != nil {
		return Plan{}, err
	}
	return Plan{Start: true, Listen: listen,
		Note: "nothing answers at main_server_minio_address " + address + ": starting MinIO on " + listen}, nil
}

type answer int

const (
	answerNone      answer = iota // connection refused: nothing listens
	answerS3                      // an S3 store (MinIO or another)
	answerOther                   // something that is no S3 store
	answerUntrusted               // a TLS server whose certificate this machine does not trust
)

// probe looks at what listens on address: it asks for MinIO's health
// endpoint, and the answer counts as S3 when it carries S3's marks (an
// x-amz-request-id header, a Server header of MinIO or AmazonS3, an S3 XML
// error body), whatever its status.
func probe(ctx context.Context, address string, secure bool, tc *tls.Config) (answer, string) {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", address)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
			return answerOther, "no answer within " + probeTimeout.String()
		}
		return answerNone, err.Error()
	}
	conn.Close()
	scheme := "http"
	tr := &http.Transport{Proxy: nil}
	if secure {
		scheme = "https"
		if tc != nil {
			tr.TLSClientConfig = tc.Clone()
		}
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: probeTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, scheme+"://"+address+HealthPath, nil)
	if err != nil {
		return answerOther, err.Error()
	}
	resp, err := client.Do(req)
	if err != nil {
		msg := strings.Join(strings.Fields(err.Error()), " ")
		if hint := config.TLSHint(err, "main_server_minio_ca_file", "main_server_minio_address"); hint != "" {
			return answerUntrusted, msg + "; " + hint
		}
		if strings.Contains(msg, "HTTP response to HTTPS client") {
			msg += "; it speaks plain http: set main_server_minio_tls = false"
		}
		return answerOther, msg
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	server := resp.Header.Get("Server")
	switch {
	case resp.Header.Get("X-Amz-Request-Id") != "",
		strings.Contains(server, "MinIO"), strings.Contains(server, "AmazonS3"),
		strings.Contains(string(body), "<Error>") && strings.Contains(string(body), "<Code>"):
		return answerS3, ""
	case strings.Contains(string(body), "HTTP request to an HTTPS server"):
		return answerOther, "it speaks https: set main_server_minio_tls = true"
	}
	detail := "HTTP " + strconv.Itoa(resp.StatusCode)
	if server != "" {
		detail += ", Server: " + server
	}
	return answerOther, detail
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
