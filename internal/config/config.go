// Package config is drover's configuration: the keys of config.toml, their
// defaults, DROVER_<KEY> environment overrides, validation and masked printing.
//
// A configuration is built in one order: Default, then the file, then the
// environment, then validation. Every error names where the bad value came
// from (file and line, or environment variable) and never shows a secret.
package config

import (
	"log/slog"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Worker modes (the worker_mode key).
const (
	ModeMultiprocessing = "multiprocessing"
	ModeSinglenode      = "singlenode"
	ModeMultinode       = "multinode"
)

// Defaults. Default applies them; nothing else should repeat these values.
const (
	DefaultWorkerMode        = ModeMultiprocessing
	DefaultEnableDaskCluster = false

	DefaultRedisIP                         = "127.0.0.1"
	DefaultRedisPort                       = 6379
	DefaultRedisDB                         = 0
	DefaultMainServerRedisPassword         = ""
	DefaultRedisTLS                        = false
	DefaultRedisTLSCAFile                  = ""
	DefaultRedisTLSCertFile                = ""
	DefaultRedisTLSKeyFile                 = ""
	DefaultRedisKeyPrefix                  = "drover"
	DefaultRedisResultQueuePollingInterval = 100 // milliseconds

	DefaultLocalMinioPort                   = 9000
	DefaultMainServerMinioAddress           = "127.0.0.1:9000"
	DefaultMainServerMinioAccessKeyID       = ""
	DefaultMainServerMinioSecretAccessKey   = ""
	DefaultMainServerMinioBucket            = "drover"
	DefaultMainServerMinioRegion            = ""
	DefaultMainServerMinioTLS               = false
	DefaultMainServerMinioCAFile            = ""
	DefaultMainServerMinioBucketPingTimeout = 30 // seconds

	DefaultListenAddress           = "127.0.0.1:12345"
	DefaultDataDirectory           = "./drover-data"
	DefaultAPIToken                = ""
	DefaultMaxRetries              = 2
	DefaultAllowCommandExperiments = false
	DefaultExperimentTimeLimit     = 0 // seconds; 0 = no limit
	DefaultLogLevel                = "info"
	DefaultSchedulingPolicy        = "fifo"
	DefaultMaxRunningPerUser       = 0 // 0 = no limit
	DefaultMaxQueuedPerUser        = 0 // 0 = no limit
	DefaultPublicURL               = ""
	DefaultTLSCertFile             = ""
	DefaultTLSKeyFile              = ""
	DefaultMaxUploadSizeMB         = 10240
	DefaultMaxPredictSizeMB        = 1024
	DefaultMaxColumns              = 10000
	DefaultMaxConcurrentUploads    = 4

	DefaultWorkerName                  = "" // "" = host name
	DefaultWorkerLocalProcessors       = 32
	DefaultWorkerRemoteProcessors      = 2
	DefaultWorkerGPUs                  = -1 // -1 = detect with nvidia-smi
	DefaultWorkerThreads               = 0  // 0 = cores / processors
	DefaultWorkerHeartbeatInterval     = 1  // seconds
	DefaultWorkerLeasePeriod           = 10 // seconds
	DefaultWorkerSuspectPeriod         = 5  // seconds
	DefaultWorkerHealthyResponsePeriod = 300
	DefaultWorkerGracePeriod           = 10 // seconds
	DefaultWorkerCacheSizeMB           = 10240
)

// Config holds every key of config.toml. The toml tag is the key; a field
// tagged drover:"secret" is masked wherever a configuration is printed.
// Fields are grouped by section, in the order config.toml lists them.
type Config struct {
	// Worker mode
	WorkerMode        string `toml:"worker_mode"`
	EnableDaskCluster bool   `toml:"enable_dask_cluster"`

	// Redis
	RedisIP                         string `toml:"redis_ip"`
	RedisPort                       int    `toml:"redis_port"`
	RedisDB                         int    `toml:"redis_db"`
	MainServerRedisPassword         string `toml:"main_server_redis_password" drover:"secret"`
	RedisTLS                        bool   `toml:"redis_tls"`
	RedisTLSCAFile                  string `toml:"redis_tls_ca_file"`
	RedisTLSCertFile                string `toml:"redis_tls_cert_file"`
	RedisTLSKeyFile                 string `toml:"redis_tls_key_file"`
	RedisKeyPrefix                  string `toml:"redis_key_prefix"`
	RedisResultQueuePollingInterval int    `toml:"redis_result_queue_polling_interval"`

	// MinIO
	LocalMinioPort                   int    `toml:"local_minio_port"`
	MainServerMinioAddress           string `toml:"main_server_minio_address"`
	MainServerMinioAccessKeyID       string `toml:"main_server_minio_access_key_id" drover:"secret"`
	MainServerMinioSecretAccessKey   string `toml:"main_server_minio_secret_access_key" drover:"secret"`
	MainServerMinioBucket            string `toml:"main_server_minio_bucket"`
	MainServerMinioRegion            string `toml:"main_server_minio_region"`
	MainServerMinioTLS               bool   `toml:"main_server_minio_tls"`
	MainServerMinioCAFile            string `toml:"main_server_minio_ca_file"`
	MainServerMinioBucketPingTimeout int    `toml:"main_server_minio_bucket_ping_timeout"`

	// Server
	ListenAddress           string `toml:"listen_address"`
	DataDirectory           string `toml:"data_directory"`
	APIToken                string `toml:"api_token" drover:"secret"`
	MaxRetries              int    `toml:"max_retries"`
	AllowCommandExperiments bool   `toml:"allow_command_experiments"`
	ExperimentTimeLimit     int    `toml:"experiment_time_limit"`
	LogLevel                string `toml:"log_level"`
	SchedulingPolicy        string `toml:"scheduling_policy"`
	MaxRunningPerUser       int    `toml:"max_running_per_user"`
	MaxQueuedPerUser        int    `toml:"max_queued_per_user"`
	PublicURL               string `toml:"public_url"`
	TLSCertFile             string `toml:"tls_cert_file"`
	TLSKeyFile              string `toml:"tls_key_file"`
	MaxUploadSizeMB         int    `toml:"max_upload_size_mb"`
	MaxPredictSizeMB        int    `toml:"max_predict_size_mb"`
	MaxColumns              int    `toml:"max_columns"`
	MaxConcurrentUploads    int    `toml:"max_concurrent_uploads"`

	// Worker
	WorkerName                  string `toml:"worker_name"`
	WorkerLocalProcessors       int    `toml:"worker_local_processors"`
	WorkerRemoteProcessors      int    `toml:"worker_remote_processors"`
	WorkerGPUs                  int    `toml:"worker_gpus"`
	WorkerThreads               int    `toml:"worker_threads"`
	WorkerHeartbeatInterval     int    `toml:"worker_heartbeat_interval"`
	WorkerLeasePeriod           int    `toml:"worker_lease_period"`
	WorkerSuspectPeriod         int    `toml:"worker_suspect_period"`
	WorkerHealthyResponsePeriod int    `toml:"worker_healthy_response_period"`
	WorkerGracePeriod           int    `toml:"worker_grace_period"`
	WorkerCacheSizeMB           int    `toml:"worker_cache_size_mb"`
}

// Default returns the configuration used when neither file nor environment
// says otherwise. It is the one place the Default* constants are applied.
func Default() Config {
	return Config{
		WorkerMode:        DefaultWorkerMode,
		EnableDaskCluster: DefaultEnableDaskCluster,

		RedisIP:                         DefaultRedisIP,
		RedisPort:                       DefaultRedisPort,
		RedisDB:                         DefaultRedisDB,
		MainServerRedisPassword:         DefaultMainServerRedisPassword,
		RedisTLS:                        DefaultRedisTLS,
		RedisTLSCAFile:                  DefaultRedisTLSCAFile,
		RedisTLSCertFile:                DefaultRedisTLSCertFile,
		RedisTLSKeyFile:                 DefaultRedisTLSKeyFile,
		RedisKeyPrefix:                  DefaultRedisKeyPrefix,
		RedisResultQueuePollingInterval: DefaultRedisResultQueuePollingInterval,

		LocalMinioPort:                   DefaultLocalMinioPort,
		MainServerMinioAddress:           DefaultMainServerMinioAddress,
		MainServerMinioAccessKeyID:       DefaultMainServerMinioAccessKeyID,
		MainServerMinioSecretAccessKey:   DefaultMainServerMinioSecretAccessKey,
		MainServerMinioBucket:            DefaultMainServerMinioBucket,
		MainServerMinioRegion:            DefaultMainServerMinioRegion,
		MainServerMinioTLS:               DefaultMainServerMinioTLS,
		MainServerMinioCAFile:            DefaultMainServerMinioCAFile,
		MainServerMinioBucketPingTimeout: DefaultMainServerMinioBucketPingTimeout,

		ListenAddress:           DefaultListenAddress,
		DataDirectory:           DefaultDataDirectory,
		APIToken:                DefaultAPIToken,
		MaxRetries:              DefaultMaxRetries,
		AllowCommandExperiments: DefaultAllowCommandExperiments,
		ExperimentTimeLimit:     DefaultExperimentTimeLimit,
		LogLevel:                DefaultLogLevel,
		SchedulingPolicy:        DefaultSchedulingPolicy,
		MaxRunningPerUser:       DefaultMaxRunningPerUser,
		MaxQueuedPerUser:        DefaultMaxQueuedPerUser,
		PublicURL:               DefaultPublicURL,
		TLSCertFile:             DefaultTLSCertFile,
		TLSKeyFile:              DefaultTLSKeyFile,
		MaxUploadSizeMB:         DefaultMaxUploadSizeMB,
		MaxPredictSizeMB:        DefaultMaxPredictSizeMB,
		MaxColumns:              DefaultMaxColumns,
		MaxConcurrentUploads:    DefaultMaxConcurrentUploads,

		WorkerName:                  DefaultWorkerName,
		WorkerLocalProcessors:       DefaultWorkerLocalProcessors,
		WorkerRemoteProcessors:      DefaultWorkerRemoteProcessors,
		WorkerGPUs:                  DefaultWorkerGPUs,
		WorkerThreads:               DefaultWorkerThreads,
		WorkerHeartbeatInterval:     DefaultWorkerHeartbeatInterval,
		WorkerLeasePeriod:           DefaultWorkerLeasePeriod,
		WorkerSuspectPeriod:         DefaultWorkerSuspectPeriod,
		WorkerHealthyResponsePeriod: DefaultWorkerHealthyResponsePeriod,
		WorkerGracePeriod:           DefaultWorkerGracePeriod,
		WorkerCacheSizeMB:           DefaultWorkerCacheSizeMB,
	}
}

func seconds(n int) time.Duration { return time.Duration(n) * time.Second }

// HeartbeatInterval is worker_heartbeat_interval.
func (c *Config) HeartbeatInterval() time.Duration { return seconds(c.WorkerHeartbeatInterval) }

// LeasePeriod is worker_lease_period: how long a claimed experiment stays
// leased to a worker without a heartbeat.
func (c *Config) LeasePeriod() time.Duration { return seconds(c.WorkerLeasePeriod) }

// SuspectPeriod is worker_suspect_period: silence after which a worker gets
// no new work.
func (c *Config) SuspectPeriod() time.Duration { return seconds(c.WorkerSuspectPeriod) }

// HealthyResponsePeriod is worker_healthy_response_period: silence after
// which a worker is shown as unhealthy.
func (c *Config) HealthyResponsePeriod() time.Duration {
	return seconds(c.WorkerHealthyResponsePeriod)
}

// GracePeriod is worker_grace_period: how long a worker stopped by SIGTERM
// lets running experiments finish before it cancels them.
func (c *Config) GracePeriod() time.Duration { return seconds(c.WorkerGracePeriod) }

// PollingInterval is redis_result_queue_polling_interval (milliseconds).
func (c *Config) PollingInterval() time.Duration {
	return time.Duration(c.RedisResultQueuePollingInterval) * time.Millisecond
}

// BucketPingTimeout is main_server_minio_bucket_ping_timeout.
func (c *Config) BucketPingTimeout() time.Duration {
	return seconds(c.MainServerMinioBucketPingTimeout)
}

// TimeLimit is experiment_time_limit; 0 means no limit.
func (c *Config) TimeLimit() time.Duration {
	return seconds(c.ExperimentTimeLimit)
}

// RedisAddr is redis_ip and redis_port as host:port (IPv6 in brackets).
func (c *Config) RedisAddr() string {
	return net.JoinHostPort(c.RedisIP, strconv.Itoa(c.RedisPort))
}

// LocalProcessors is how many experiments run at once on the main server's
// machine: worker_local_processors capped by the number of CPUs, as the
// product caps local processors by the CPU count, and at least 1.
func (c *Config) LocalProcessors() int {
	return max(1, min(c.WorkerLocalProcessors, runtime.NumCPU()))
}

// ThreadsPerExperiment is the number of threads one experiment may use when
// processors experiments share the machine: worker_threads when set,
// otherwise the CPU count divided by processors, and at least 1.
func (c *Config) ThreadsPerExperiment(processors int) int {
	if c.WorkerThreads > 0 {
		return c.WorkerThreads
	}
	return max(1, runtime.NumCPU()/max(1, processors))
}

// IsLoopbackListen reports whether listen_address only accepts connections
// from this machine ("localhost" or a loopback IP). An empty host listens on
// every interface and is not loopback.
func (c *Config) IsLoopbackListen() bool {
	return isLoopbackAddr(c.ListenAddress)
}

func isLoopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host == "" {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// UsesRedis reports whether worker_mode hands experiments to workers through
// Redis (singlenode and multinode).
func (c *Config) UsesRedis() bool { return c.WorkerMode != ModeMultiprocessing }

// UsesObjectStore reports whether data travels through MinIO/S3 (multinode).
func (c *Config) UsesObjectStore() bool { return c.WorkerMode == ModeMultinode }

// SlogLevel is log_level as a slog.Level.
func (c *Config) SlogLevel() slog.Level {
	switch c.LogLevel {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}

// EffectiveWorkerName is worker_name, or when that is empty the host name
// with any character outside [A-Za-z0-9_.-] replaced by "-".
func (c *Config) EffectiveWorkerName() string {
	if c.WorkerName != "" {
		return c.WorkerName
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		return "worker"
	}
	name := strings.Map(func(r rune) rune {
		if isNameRune(r) {
			return r
		}
		return '-'
	}, host)
	if len(name) > maxNameLen {
		name = name[:maxNameLen]
	}
	return name
}
