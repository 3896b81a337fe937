package s3

import "github.com/drover-ml/drover/internal/config"

// FromConfig is the Config of drover's object store as config.toml sets it
// (main_server_minio_*), reached at endpoint ("" = main_server_minio_address).
func FromConfig(cfg *config.Config, endpoint string) Config {
	if endpoint == "" {
		endpoint = cfg.MainServerMinioAddress
	}
	return Config{
		Endpoint: endpoint, AccessKey: cfg.MainServerMinioAccessKeyID, SecretKey: cfg.MainServerMinioSecretAccessKey,
		Bucket: cfg.MainServerMinioBucket, Region: cfg.MainServerMinioRegion, Secure: cfg.MainServerMinioTLS,
		CAFile: cfg.MainServerMinioCAFile,
	}
}
