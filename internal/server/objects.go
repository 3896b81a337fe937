package server

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/drover-ml/drover/internal/blob/minioserver"
	"github.com/drover-ml/drover/internal/blob/s3"
	"github.com/drover-ml/drover/internal/config"
)

// openObjects prepares the object store of multinode mode: it starts and
// supervises a local MinIO when main_server_minio_address is this machine
// and local_minio_port is set, then opens the bucket (creating it if
// missing). It returns the MinIO supervisor (nil when none was started).
func openObjects(ctx context.Context, cfg *config.Config, dataDir string, log *slog.Logger) (*s3.Store, *minioserver.Server, error) {
	endpoint := cfg.MainServerMinioAddress
	var mio *minioserver.Server
	local, err := minioserver.IsLocalAddress(ctx, cfg.MainServerMinioAddress)
	if err != nil {
		return nil, nil, fmt.Errorf("server: %w", err)
	}
	if local && cfg.LocalMinioPort != 0 {
		if err := minioserver.ValidateCredentials(cfg.MainServerMinioAccessKeyID, cfg.MainServerMinioSecretAccessKey); err != nil {
			return nil, nil, fmt.Errorf("server: local MinIO: %w", err)
		}
		addr, err := minioserver.ListenAddress(cfg.MainServerMinioAddress, cfg.LocalMinioPort)
		if err != nil {
			return nil, nil, fmt.Errorf("server: %w", err)
		}
		mio, err = minioserver.New(minioserver.Config{
			DataDir: filepath.Join(dataDir, "minio"), Address: addr,
			AccessKey: cfg.MainServerMinioAccessKeyID, SecretKey: cfg.MainServerMinioSecretAccessKey,
			Logger: log.With(slog.String("component", "minio")),
		})
		if err != nil {
			return nil, nil, fmt.Errorf("server: local MinIO: %w", err)
		}
		if err := mio.Start(ctx); err != nil {
			return nil, nil, fmt.Errorf("server: start local MinIO on %s: %w", addr, err)
		}
		endpoint = mio.Endpoint()
		log.Info("local MinIO started", slog.String("address", addr))
	}
	st, err := s3.New(s3.FromConfig(cfg, endpoint))
	if err == nil {
		ectx, cancel := context.WithTimeout(ctx, cfg.BucketPingTimeout())
		err = st.EnsureBucket(ectx)
		cancel()
	}
	if err != nil {
		if mio != nil {
			mio.Stop()
		}
		return nil, nil, fmt.Errorf("server: object store %s bucket %q: %w", endpoint, cfg.MainServerMinioBucket, err)
	}
	return st, mio, nil
}
