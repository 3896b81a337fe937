package server

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/drover-ml/drover/internal/blob/minioserver"
	"github.com/drover-ml/drover/internal/blob/s3"
	"github.com/drover-ml/drover/internal/config"
)

// openObjects prepares the object store of multinode mode: it starts and
// supervises a local MinIO when main_server_minio_address is this machine,
// local_minio_port is set and nothing answers there yet (minioserver.Decide),
// then opens the bucket (creating it if missing). It returns the MinIO
// supervisor (nil when none was started).
func openObjects(ctx context.Context, cfg *config.Config, dataDir string, log *slog.Logger) (*s3.Store, *minioserver.Server, error) {
	endpoint := cfg.MainServerMinioAddress
	var mio *minioserver.Server
	plan, err := PlanObjects(ctx, cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("server: %w", err)
	}
	if !plan.Start {
		log.Info(plan.Note)
	} else {
		if err := minioserver.ValidateCredentials(cfg.MainServerMinioAccessKeyID, cfg.MainServerMinioSecretAccessKey); err != nil {
			return nil, nil, fmt.Errorf("server: local MinIO: %w", err)
		}
		addr := plan.Listen
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

// PlanObjects says what a multinode server does about MinIO
// (minioserver.Decide on main_server_minio_address, local_minio_port and
// main_server_minio_tls); `drover config check` shows the same decision.
func PlanObjects(ctx context.Context, cfg *config.Config) (minioserver.Plan, error) {
	var tc *tls.Config
	if cfg.MainServerMinioTLS {
		pool, err := cfg.MinioRootCAs()
		if err != nil {
			return minioserver.Plan{}, err
		}
		tc = &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: pool}
	}
	plan, err := minioserver.Decide(ctx, cfg.MainServerMinioAddress, cfg.LocalMinioPort, cfg.MainServerMinioTLS, tc)
	if err == nil && plan.Start && cfg.MainServerMinioTLS {
		return plan, &minioserver.PlanError{Msg: "main_server_minio_tls = true, but nothing answers at main_server_minio_address " +
			cfg.MainServerMinioAddress + " and the MinIO drover starts serves plain http: run your MinIO with its certificate " +
			"there, or set main_server_minio_tls = false"}
	}
	return plan, err
}
