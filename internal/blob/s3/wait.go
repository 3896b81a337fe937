package s3

import (
	"context"
	"errors"
	"fmt"
	"github.com/drover-ml/drover/internal/config"
	"net"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
)

// Reason says why a bucket did not answer.
type Reason string

// Reasons a bucket check fails.
const (
	ReasonUnreachable Reason = "unreachable"
	ReasonCredentials Reason = "wrong credentials"
	ReasonNoBucket    Reason = "no such bucket"
	ReasonOther       Reason = "error"
	// ReasonUntrusted: the TLS certificate was refused; waiting does not
	// help, the configuration must change.
	ReasonUntrusted Reason = "certificate not accepted"
)

// BucketError is returned by WaitBucket and EnsureBucket. Its message is one
// line naming the endpoint and the bucket; it never contains the secret.
type BucketError struct {
	Endpoint string
	Bucket   string
	Reason   Reason
	Waited   time.Duration // 0 when the first answer was final
	Err      error
}

func (e *BucketError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "blob: minio bucket %q at %s: %s", e.Bucket, e.Endpoint, e.Reason)
	switch e.Reason {
	case ReasonCredentials:
		b.WriteString(" (access key or secret rejected; check main_server_minio_access_key_id and main_server_minio_secret_access_key)")
	case ReasonNoBucket:
		b.WriteString(" (is the main server running in multinode mode with the same main_server_minio_bucket?)")
	case ReasonUnreachable:
		b.WriteString(" (check main_server_minio_address and that the main server's MinIO is up)")
	case ReasonUntrusted:
		b.WriteString(" (" + config.TLSHint(e.Err, "main_server_minio_ca_file", "main_server_minio_address") + ")")
	}
	if e.Waited > 0 {
		fmt.Fprintf(&b, " after waiting %s", e.Waited.Round(time.Second))
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(strings.Join(strings.Fields(e.Err.Error()), " "))
	}
	return b.String()
}

func (e *BucketError) Unwrap() error { return e.Err }

// pingTimeoutMax bounds one attempt of WaitBucket.
const pingTimeoutMax = 5 * time.Second

// WaitBucket checks the bucket until it answers, for at most timeout
// (main_server_minio_bucket_ping_timeout). An unreachable server or a missing
// bucket is retried with backoff until the time is up; rejected credentials
// fail at once, as waiting cannot fix them. The error is a *BucketError.
func (s *Store) WaitBucket(ctx context.Context, timeout time.Duration) error {
	start := time.Now()
	deadline := start.Add(timeout)
	delay := 100 * time.Millisecond
	for {
		remaining := time.Until(deadline)
		attemptCtx, cancel := context.WithTimeout(ctx, max(min(pingTimeoutMax, remaining), 100*time.Millisecond))
		ok, err := s.ping(attemptCtx)
		cancel()
		if err == nil && ok {
			return nil
		}
		var berr *BucketError
		if err == nil {
			berr = &BucketError{Endpoint: s.cfg.Endpoint, Bucket: s.cfg.Bucket, Reason: ReasonNoBucket}
		} else {
			berr = s.bucketError(err, 0)
		}
		if berr.Reason == ReasonCredentials || berr.Reason == ReasonUntrusted {
			return berr
		}
		if ctx.Err() != nil {
			berr.Waited, berr.Err = time.Since(start), ctx.Err()
			return berr
		}
		if time.Until(deadline) <= 0 {
			berr.Waited = time.Since(start)
			return berr
		}
		select {
		case <-ctx.Done():
		case <-time.After(min(delay, time.Until(deadline))):
		}
		delay = min(delay*2, 2*time.Second)
	}
}

// ping dials the endpoint first, so that an unreachable server is reported
// with the network's own words (refused, timeout, no such host) rather than
// after minio-go's internal retries as a bare deadline.
func (s *Store) ping(ctx context.Context) (bool, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.cfg.Endpoint)
	if err != nil {
		return false, err
	}
	conn.Close()
	return s.client.BucketExists(ctx, s.cfg.Bucket)
}

// credentialCodes are S3 error codes that mean the request was not accepted
// as coming from a known user.
var credentialCodes = map[string]bool{
	minio.InvalidAccessKeyID:    true,
	minio.SignatureDoesNotMatch: true,
	minio.AccessDenied:          true,
	"InvalidToken":              true,
	"ExpiredToken":              true,
}

func (s *Store) bucketError(err error, waited time.Duration) *BucketError {
	e := &BucketError{Endpoint: s.cfg.Endpoint, Bucket: s.cfg.Bucket, Reason: classify(err), Waited: waited, Err: err}
	if e.Reason == ReasonNoBucket || e.Reason == ReasonCredentials {
		e.Err = nil // the reason says it all; minio's message repeats it
	}
	return e
}

func classify(err error) Reason {
	resp := minio.ToErrorResponse(err)
	switch {
	case credentialCodes[resp.Code]:
		return ReasonCredentials
	case resp.Code == minio.NoSuchBucket:
		return ReasonNoBucket
	case resp.Code == "XMinioServerNotInitialized":
		return ReasonUnreachable // starting up: worth waiting for
	case resp.Code != "":
		return ReasonOther
	}
	if config.TLSHint(err, "main_server_minio_ca_file", "main_server_minio_address") != "" {
		return ReasonUntrusted
	}
	var netErr net.Error
	if errors.As(err, &netErr) || errors.Is(err, context.DeadlineExceeded) {
		return ReasonUnreachable
	}
	return ReasonUnreachable
}
