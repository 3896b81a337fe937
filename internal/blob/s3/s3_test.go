package s3_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/drover-ml/drover/internal/blob"
	"github.com/drover-ml/drover/internal/blob/blobtest"
	"github.com/drover-ml/drover/internal/blob/s3"
	"github.com/drover-ml/drover/internal/testutil"
)

func newStore(t *testing.T, m *testutil.MinIO, bucket string) *s3.Store {
	t.Helper()
	s, err := s3.New(s3.Config{Endpoint: m.Endpoint(), AccessKey: m.AccessKey(), SecretKey: m.SecretKey(), Bucket: bucket})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestStore(t *testing.T) {
	m := testutil.StartMinIO(t)
	blobtest.Run(t, func(t *testing.T) blob.Store {
		return newStore(t, m, m.NewBucket(t))
	})
}

func TestEnsureBucket(t *testing.T) {
	m := testutil.StartMinIO(t)
	s := newStore(t, m, "drover-new")
	if err := s.EnsureBucket(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := s.EnsureBucket(t.Context()); err != nil {
		t.Fatalf("second EnsureBucket: %v", err)
	}
	if err := s.WaitBucket(t.Context(), time.Second); err != nil {
		t.Fatal(err)
	}
}

func TestWaitBucketErrors(t *testing.T) {
	m := testutil.StartMinIO(t)
	bucket := m.NewBucket(t)
	check := func(t *testing.T, cfg s3.Config, timeout time.Duration, want s3.Reason, maxTime time.Duration) {
		t.Helper()
		s, err := s3.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		err = s.WaitBucket(t.Context(), timeout)
		took := time.Since(start)
		var berr *s3.BucketError
		if !errors.As(err, &berr) || berr.Reason != want {
			t.Fatalf("WaitBucket = %v, want reason %q", err, want)
		}
		msg := err.Error()
		if strings.Contains(msg, "\n") || !strings.Contains(msg, cfg.Endpoint) || !strings.Contains(msg, cfg.Bucket) {
			t.Errorf("message not one line naming endpoint and bucket: %q", msg)
		}
		if cfg.SecretKey != "" && strings.Contains(msg, cfg.SecretKey) {
			t.Errorf("message leaks the secret: %q", msg)
		}
		if took > maxTime {
			t.Errorf("WaitBucket took %s, want at most %s", took, maxTime)
		}
		t.Logf("%s (after %s)", msg, took.Round(time.Millisecond))
	}
	good := s3.Config{Endpoint: m.Endpoint(), AccessKey: m.AccessKey(), SecretKey: m.SecretKey(), Bucket: bucket}

	t.Run("WrongSecret", func(t *testing.T) {
		cfg := good
		cfg.SecretKey = "not-the-secret"
		check(t, cfg, 3*time.Second, s3.ReasonCredentials, 2*time.Second) // fails at once
	})
	t.Run("WrongAccessKey", func(t *testing.T) {
		cfg := good
		cfg.AccessKey = "nobody"
		check(t, cfg, 3*time.Second, s3.ReasonCredentials, 2*time.Second)
	})
	t.Run("MissingBucket", func(t *testing.T) {
		cfg := good
		cfg.Bucket = "no-such-bucket"
		check(t, cfg, time.Second, s3.ReasonNoBucket, 3*time.Second)
	})
	t.Run("Unreachable", func(t *testing.T) {
		cfg := good
		cfg.Endpoint = "127.0.0.1:1" // nothing listens there
		check(t, cfg, time.Second, s3.ReasonUnreachable, 4*time.Second)
	})
	t.Run("UntrustedCertificate", func(t *testing.T) {
		// A MinIO over TLS whose CA this side was not given: the answer
		// is final at once and names the key that fixes it.
		ca := testutil.NewCA(t, "minio CA")
		tm := testutil.StartMinIOTLS(t, ca, ca.Server("minio"))
		cfg := s3.Config{Endpoint: tm.Endpoint(), AccessKey: tm.AccessKey(), SecretKey: tm.SecretKey(), Bucket: "any", Secure: true}
		check(t, cfg, 20*time.Second, s3.ReasonUntrusted, time.Minute)
		s, _ := s3.New(cfg)
		err := s.WaitBucket(t.Context(), 20*time.Second)
		var berr *s3.BucketError
		if !errors.As(err, &berr) || berr.Waited != 0 {
			t.Errorf("WaitBucket with an untrusted certificate: %v, want a final answer (no wait)", err)
		}
		if err == nil || !strings.Contains(err.Error(), "set main_server_minio_ca_file") {
			t.Errorf("WaitBucket with an untrusted certificate: %v, want the hint naming main_server_minio_ca_file", err)
		}
	})
	t.Run("BucketAppearsWhileWaiting", func(t *testing.T) {
		cfg := good
		cfg.Bucket = "late-bucket"
		s, _ := s3.New(cfg)
		done := make(chan error, 1)
		go func() { done <- s.WaitBucket(t.Context(), 20*time.Second) }()
		time.Sleep(300 * time.Millisecond)
		if err := s.EnsureBucket(t.Context()); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatalf("WaitBucket = %v", err)
		}
	})
}

type s3Store = s3.Store

func newS3(m *testutil.MinIO, bucket string) (*s3.Store, error) {
	return s3.New(s3.Config{Endpoint: m.Endpoint(), AccessKey: m.AccessKey(), SecretKey: m.SecretKey(), Bucket: bucket})
}
