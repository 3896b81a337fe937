// Package s3 is the MinIO/S3 backend of blob.Store, built on minio-go.
package s3

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/drover-ml/drover/internal/blob"
)

// Defaults applied by Config.withDefaults.
const (
	// PartSizeDefault is the multipart upload part size. It bounds the
	// memory an upload of unknown size buffers (minio-go would otherwise pick
	// parts of 512 MiB) and allows objects up to 10,000 parts = 160 GiB.
	PartSizeDefault = 16 << 20
	// UploadThreadsDefault is how many parts of one upload travel at once.
	UploadThreadsDefault = 4
	// MaxRetriesDefault is minio-go's per-request retry count.
	MaxRetriesDefault = 3
)

// Config locates a bucket.
type Config struct {
	Endpoint      string            // host:port, e.g. 10.0.0.1:9000 (main_server_minio_address)
	AccessKey     string            // main_server_minio_access_key_id
	SecretKey     string            // main_server_minio_secret_access_key
	Bucket        string            // main_server_minio_bucket
	Region        string            // main_server_minio_region; "" = ask the store (one lookup per bucket)
	Secure        bool              // HTTPS (main_server_minio_tls)
	CAFile        string            // PEM of the CA that signs the store's certificate (main_server_minio_ca_file); "" = the system roots
	Transport     http.RoundTripper // nil = minio-go's default (with RootCAs)
	PartSize      uint64            // multipart part size; 0 = PartSizeDefault
	UploadThreads uint              // 0 = UploadThreadsDefault
	MaxRetries    int               // 0 = MaxRetriesDefault; 1 disables retries
}

func (c Config) withDefaults() Config {
	if c.PartSize == 0 {
		c.PartSize = PartSizeDefault
	}
	if c.UploadThreads == 0 {
		c.UploadThreads = UploadThreadsDefault
	}
	if c.MaxRetries == 0 {
		c.MaxRetries = MaxRetriesDefault
	}
	return c
}

// Store keeps objects in one bucket.
type Store struct {
	cfg    Config
	client *minio.Client
}

var (
	_ blob.Store       = (*Store)(nil)
	_ blob.RangeReader = (*Store)(nil)
)

// New returns a store for cfg. It does no I/O; see EnsureBucket and WaitBucket.
func New(cfg Config) (*Store, error) {
	cfg = cfg.withDefaults()
	if cfg.Endpoint == "" {
		return nil, errors.New("blob: s3: empty endpoint")
	}
	if cfg.Bucket == "" {
		return nil, errors.New("blob: s3: empty bucket name")
	}
	if cfg.Transport == nil && cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("blob: main_server_minio_ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("blob: main_server_minio_ca_file %s holds no PEM certificate", cfg.CAFile)
		}
		tr, err := minio.DefaultTransport(cfg.Secure)
		if err != nil {
			return nil, fmt.Errorf("blob: s3 transport: %w", err)
		}
		tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: pool}
		cfg.Transport = tr
	}
	client, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:      credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:     cfg.Secure,
		Region:     cfg.Region,
		Transport:  cfg.Transport,
		MaxRetries: cfg.MaxRetries,
	})
	if err != nil {
		return nil, fmt.Errorf("blob: s3 client for %s: %w", cfg.Endpoint, err)
	}
	return &Store{cfg: cfg, client: client}, nil
}

// Client returns the underlying minio-go client.
func (s *Store) Client() *minio.Client { return s.client }

// Bucket returns the bucket name.
func (s *Store) Bucket() string { return s.cfg.Bucket }

// Endpoint returns host:port of the service.
func (s *Store) Endpoint() string { return s.cfg.Endpoint }

// Put uploads r under key (multipart above PartSize).
func (s *Store) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	if err := blob.ValidateKey(key); err != nil {
		return err
	}
	// r is passed as is: minio-go reads an *os.File (io.ReaderAt) part by
	// part in parallel, and its requests honour ctx.
	_, err := s.client.PutObject(ctx, s.cfg.Bucket, key, r, size, minio.PutObjectOptions{
		ContentType: "application/octet-stream",
		PartSize:    s.cfg.PartSize,
		NumThreads:  s.cfg.UploadThreads,
	})
	if err != nil {
		return fmt.Errorf("blob: put %s: %w", key, mapErr(err))
	}
	return nil
}

// Get opens the object. The size comes from a HEAD made before the body is read.
func (s *Store) Get(ctx context.Context, key string) (io.ReadCloser, int64, error) {
	if err := blob.ValidateKey(key); err != nil {
		return nil, 0, err
	}
	obj, err := s.client.GetObject(ctx, s.cfg.Bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, 0, fmt.Errorf("blob: get %s: %w", key, mapErr(err))
	}
	st, err := obj.Stat()
	if err != nil {
		obj.Close()
		return nil, 0, fmt.Errorf("blob: get %s: %w", key, mapErr(err))
	}
	return obj, st.Size, nil
}

// GetRange reads length bytes from offset with one ranged GET.
func (s *Store) GetRange(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	if err := blob.ValidateKey(key); err != nil {
		return nil, err
	}
	if offset < 0 || length < 0 {
		return nil, fmt.Errorf("blob: get range %s: negative range %d+%d", key, offset, length)
	}
	if length == 0 {
		if _, err := s.Stat(ctx, key); err != nil {
			return nil, err
		}
		return io.NopCloser(eofReader{}), nil
	}
	opts := minio.GetObjectOptions{}
	if err := opts.SetRange(offset, offset+length-1); err != nil {
		return nil, fmt.Errorf("blob: get range %s: %w", key, err)
	}
	// Core.GetObject sends the request now, so a missing key fails here and
	// not at the first Read.
	body, info, _, err := minio.Core{Client: s.client}.GetObject(ctx, s.cfg.Bucket, key, opts)
	if err != nil {
		return nil, fmt.Errorf("blob: get range %s: %w", key, mapErr(err))
	}
	if info.Size != length {
		body.Close()
		return nil, fmt.Errorf("blob: get range %s: asked %d bytes at %d, server sends %d", key, length, offset, info.Size)
	}
	return body, nil
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

// Stat describes the object.
func (s *Store) Stat(ctx context.Context, key string) (blob.Info, error) {
	if err := blob.ValidateKey(key); err != nil {
		return blob.Info{}, err
	}
	st, err := s.client.StatObject(ctx, s.cfg.Bucket, key, minio.StatObjectOptions{})
	if err != nil {
		return blob.Info{}, fmt.Errorf("blob: stat %s: %w", key, mapErr(err))
	}
	return blob.Info{Key: key, Size: st.Size, ModTime: st.LastModified}, nil
}

// List lists the bucket recursively under prefix.
func (s *Store) List(ctx context.Context, prefix string) ([]blob.Info, error) {
	if err := blob.ValidatePrefix(prefix); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops minio-go's listing goroutine on early return
	var out []blob.Info
	for obj := range s.client.ListObjects(ctx, s.cfg.Bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if obj.Err != nil {
			return nil, fmt.Errorf("blob: list %q: %w", prefix, mapErr(obj.Err))
		}
		if blob.ValidateKey(obj.Key) != nil {
			continue // written by something else; not ours to hand out
		}
		out = append(out, blob.Info{Key: obj.Key, Size: obj.Size, ModTime: obj.LastModified})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// Delete removes the object; a missing key is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := blob.ValidateKey(key); err != nil {
		return err
	}
	if err := s.client.RemoveObject(ctx, s.cfg.Bucket, key, minio.RemoveObjectOptions{}); err != nil {
		if errors.Is(mapErr(err), blob.ErrNotFound) {
			return nil
		}
		return fmt.Errorf("blob: delete %s: %w", key, err)
	}
	return nil
}

// EnsureBucket creates the bucket if it does not exist.
func (s *Store) EnsureBucket(ctx context.Context) error {
	ok, err := s.client.BucketExists(ctx, s.cfg.Bucket)
	if err != nil {
		return s.bucketError(err, 0)
	}
	if ok {
		return nil
	}
	err = s.client.MakeBucket(ctx, s.cfg.Bucket, minio.MakeBucketOptions{Region: s.cfg.Region})
	if err != nil {
		code := minio.ToErrorResponse(err).Code
		if code == "BucketAlreadyOwnedByYou" || code == "BucketAlreadyExists" {
			return nil
		}
		return s.bucketError(err, 0)
	}
	return nil
}

// notFoundCodes are the S3 error codes that mean "no such object".
// A missing bucket is not one: it is a setup problem (see WaitBucket).
var notFoundCodes = map[string]bool{minio.NoSuchKey: true, "NotFound": true}

// mapErr wraps S3 "not found" answers in blob.ErrNotFound.
func mapErr(err error) error {
	if notFoundCodes[minio.ToErrorResponse(err).Code] {
		return fmt.Errorf("%w: %w", blob.ErrNotFound, err)
	}
	return err
}
