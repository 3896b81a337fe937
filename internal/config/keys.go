package config

import (
	"math"
	"reflect"
	"strconv"
	"strings"
)

// Sections group the keys in config.toml, in docs/config.md and in Show.
const (
	SectionWorkerMode = "Worker mode"
	SectionRedis      = "Redis"
	SectionMinIO      = "MinIO"
	SectionServer     = "Server"
	SectionWorker     = "Worker"
)

// EnvPrefix starts the environment variable that overrides a key:
// DROVER_ followed by the key in upper case.
const EnvPrefix = "DROVER_"

// Key describes one configuration key.
type Key struct {
	Name    string // TOML key, e.g. "redis_port"
	Env     string // environment variable, e.g. "DROVER_REDIS_PORT"
	Type    string // "string", "integer" or "boolean"
	Default string // the default as a TOML value, e.g. `6379` or `"127.0.0.1"`
	Allowed string // which values are accepted, e.g. "an integer from 1 to 65535"
	Secret  bool   // masked wherever a configuration is printed
	Section string // e.g. "Redis"
	Doc     string // one paragraph
}

// keyMeta is what reflection cannot tell about a key.
type keyMeta struct {
	section string
	rule    rule
	doc     string
}

// meta holds, for every toml tag of Config, its section, rule and doc. A test
// fails when a field has no entry here or an entry has no field.
var meta = map[string]keyMeta{
	"worker_mode": {SectionWorkerMode, oneOf(ModeMultiprocessing, ModeSinglenode, ModeMultinode),
		`How experiments run: "multiprocessing" (child processes of the server), "singlenode" ` +
			`(drover workers on this machine, through Redis) or "multinode" (workers on any machine; ` +
			`Redis, plus MinIO for the data).`},
	"enable_dask_cluster": {SectionWorkerMode, daskRefused,
		`Accepted for compatibility with the product's config.toml, but only false: drover does not ` +
			`support Dask clusters, and each experiment runs on one node.`},

	"redis_ip": {SectionRedis, redisHost,
		`IP address (or host name) of the Redis server. On workers, the main server's Redis.`},
	"redis_port": {SectionRedis, intRange(1, 65535),
		`Port of the Redis server.`},
	"redis_db": {SectionRedis, intRange(0, math.MaxInt32),
		`Redis database number. Each drover installation sharing one Redis server needs its own ` +
			`(0 to 15 on a stock Redis).`},
	"main_server_redis_password": {SectionRedis, anyString,
		`Password of the main server's Redis; empty for none. Secret: never printed.`},
	"redis_tls": {SectionRedis, anyBool,
		`Connect to Redis over TLS.`},
	"redis_tls_ca_file": {SectionRedis, anyString,
		`PEM file of the CA that signed the Redis server's certificate; empty for the system roots. ` +
			`Needs redis_tls = true.`},
	"redis_tls_cert_file": {SectionRedis, anyString,
		`PEM certificate this process shows Redis when Redis asks for client certificates ` +
			`(tls-auth-clients); empty for none. Needs redis_tls = true and redis_tls_key_file.`},
	"redis_tls_key_file": {SectionRedis, anyString,
		`PEM private key of redis_tls_cert_file; empty for none.`},
	"redis_key_prefix": {SectionRedis, nameRule,
		`Prefix of every Redis key drover uses, so that several installations can share one Redis ` +
			`database. Letters, digits, "_", "." and "-".`},
	"redis_result_queue_polling_interval": {SectionRedis, intRange(1, 60000),
		`Milliseconds. The longest the server waits before it picks up results from Redis; results ` +
			`normally arrive at once, and this bounds the wait when they do not.`},

	"local_minio_port": {SectionMinIO, intRange(0, 65535),
		`Port of the MinIO server a multinode main server starts itself; 0 never starts one ` +
			`(use main_server_minio_address for an existing MinIO or S3 store). Ignored in other modes.`},
	"main_server_minio_address": {SectionMinIO, hostPort(false, false, "no scheme; use main_server_minio_tls for https"),
		`host:port of the main server's MinIO (or any S3 store), used in multinode mode by the server ` +
			`and by every worker.`},
	"main_server_minio_access_key_id": {SectionMinIO, anyString,
		`Access key of the MinIO/S3 store. Secret: never printed.`},
	"main_server_minio_secret_access_key": {SectionMinIO, anyString,
		`Secret access key of the MinIO/S3 store. Secret: never printed.`},
	"main_server_minio_bucket": {SectionMinIO, bucketName,
		`Bucket that holds datasets and artifacts in multinode mode; created when missing.`},
	"main_server_minio_region": {SectionMinIO, anyString,
		`Region of the bucket; empty lets the client ask the store.`},
	"main_server_minio_tls": {SectionMinIO, anyBool,
		`Talk to MinIO/S3 over https. The MinIO a main server starts itself serves plain http, ` +
			`so with this on run your own MinIO (see docs/security.md).`},
	"main_server_minio_ca_file": {SectionMinIO, anyString,
		`PEM file of the CA that signed the MinIO/S3 store's certificate; empty for the system roots. ` +
			`Needs main_server_minio_tls = true.`},
	"main_server_minio_bucket_ping_timeout": {SectionMinIO, intRange(1, maxSeconds),
		`Seconds a worker waits for the main server's bucket to answer at start before it fails.`},

	"listen_address": {SectionServer, hostPort(true, true, `port 0 picks a free port; an empty host listens on every interface`),
		`host:port the server listens on (HTTP API, UI, health). When it is not a loopback address, ` +
			`api_token must be set.`},
	"data_directory": {SectionServer, nonEmpty,
		`Directory of the server's database, datasets and artifacts (created when missing). Workers ` +
			`keep their data cache and attempt logs here too.`},
	"api_token": {SectionServer, anyString,
		`Token that clients must send with every API request; empty for none, which is allowed only ` +
			`when listen_address is a loopback address. Secret: never printed.`},
	"max_retries": {SectionServer, intRange(0, 100),
		`How many times an experiment is retried after an infrastructure failure (worker lost, data ` +
			`transfer failed). User errors are never retried.`},
	"allow_command_experiments": {SectionServer, anyBool,
		`Allow experiments that run an arbitrary shell command instead of the AutoML engine. Anyone ` +
			`who can reach the API can then run commands on the workers.`},
	"experiment_time_limit": {SectionServer, intRange(0, maxSeconds),
		`Seconds an attempt may run before it is stopped and fails with kind timeout; 0 for no limit.`},
	"log_level": {SectionServer, oneOf("debug", "info", "warn", "error"),
		`Least severe log level written, by the server and by workers.`},
	"scheduling_policy": {SectionServer, oneOf("fifo", "fair"),
		`Which queued experiment a free processor takes, within the highest priority class (high, ` +
			`normal, low) it can run: "fifo", the oldest; "fair", the oldest of the user who runs the ` +
			`fewest experiments now.`},
	"max_running_per_user": {SectionServer, intRange(0, 1_000_000),
		`Experiments one user may run at once; 0 for no limit. Over it an experiment waits ("alice ` +
			`runs 4 of 4 allowed") and processors take other users' work. drover user set overrides it per user.`},
	"max_queued_per_user": {SectionServer, intRange(0, 1_000_000),
		`Experiments one user may have queued at once; 0 for no limit. Over it a new experiment is ` +
			`refused with 429 quota_exceeded. drover user set overrides it per user.`},
	"public_url": {SectionServer, publicURLRule,
		`URL users reach the server at when it is not its listen_address (a DNS name, a reverse ` +
			`proxy), e.g. "https://drover.example.com"; empty for none. Requests naming any other ` +
			`host are refused (see docs/security.md).`},
	"tls_cert_file": {SectionServer, anyString,
		`PEM certificate (chain) the server serves HTTPS with; empty serves plain HTTP. Needs ` +
			`tls_key_file. Read at start: restart the server after renewing it.`},
	"tls_key_file": {SectionServer, anyString,
		`PEM private key of tls_cert_file; empty for none.`},
	"max_upload_size_mb": {SectionServer, intRange(1, 16<<20),
		`MiB. The largest dataset upload; a bigger body is refused with 413 too_large as soon as ` +
			`it passes the limit, and nothing of it is kept.`},
	"max_predict_size_mb": {SectionServer, intRange(1, 16<<20),
		`MiB. The largest CSV body POST .../predict takes (413 too_large beyond).`},
	"max_columns": {SectionServer, intRange(1, 1_000_000),
		`The most columns an uploaded dataset may have (400 too_many_columns beyond).`},
	"max_concurrent_uploads": {SectionServer, intRange(1, 1024),
		`Uploads (datasets and predict bodies) the server takes at once; more wait for none and ` +
			`get 429 too_many_uploads.`},

	"worker_name": {SectionWorker, optionalNameRule,
		`Stable name of this worker, shown in System Info; empty for the host name. The worker's ` +
			`identity still changes at each start.`},
	"worker_local_processors": {SectionWorker, intRange(1, math.MaxInt32),
		`The most experiments run at once on the main server's machine (multiprocessing mode), capped ` +
			`by the number of CPUs.`},
	"worker_remote_processors": {SectionWorker, intRange(1, math.MaxInt32),
		`The most experiments each drover worker runs at once (singlenode and multinode modes).`},
	"worker_gpus": {SectionWorker, intRange(-1, 1024),
		`GPUs this worker offers to experiments; -1 detects them with nvidia-smi.`},
	"worker_threads": {SectionWorker, intRange(0, 4096),
		`Threads one experiment may use; 0 for the number of CPUs divided by the number of processors ` +
			`(at least 1).`},
	"worker_heartbeat_interval": {SectionWorker, intRange(1, 3600),
		`Seconds between a worker's heartbeats.`},
	"worker_lease_period": {SectionWorker, intRange(1, maxSeconds),
		`Seconds an experiment stays leased to a worker without a heartbeat; then it is requeued. ` +
			`Must be more than twice worker_heartbeat_interval.`},
	"worker_suspect_period": {SectionWorker, intRange(1, maxSeconds),
		`Seconds of silence after which a worker is suspect and gets no new work. Must be more than ` +
			`worker_heartbeat_interval and less than worker_healthy_response_period.`},
	"worker_healthy_response_period": {SectionWorker, intRange(1, maxSeconds),
		`Seconds of silence after which a worker is marked unhealthy.`},
	"worker_grace_period": {SectionWorker, intRange(0, 3600),
		`Seconds a worker stopped with SIGTERM lets running experiments finish before it cancels them ` +
			`and hands them back to the queue.`},
	"worker_cache_size_mb": {SectionWorker, intRange(0, math.MaxInt32),
		`MiB of datasets a multinode worker keeps on disk after use; least recently used go first. ` +
			`0 keeps only what running experiments need.`},
}

// field is one key of Config as reflection sees it.
type field struct {
	name   string // toml tag
	index  int    // field index in Config
	kind   reflect.Kind
	secret bool
	meta   keyMeta
}

var fields = buildFields()

var fieldByName = func() map[string]*field {
	m := make(map[string]*field, len(fields))
	for i := range fields {
		m[fields[i].name] = &fields[i]
	}
	return m
}()

func buildFields() []field {
	t := reflect.TypeFor[Config]()
	out := make([]field, 0, t.NumField())
	for i := range t.NumField() {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("toml"), ",")
		out = append(out, field{
			name:   name,
			index:  i,
			kind:   sf.Type.Kind(),
			secret: sf.Tag.Get("drover") == "secret",
			meta:   meta[name],
		})
	}
	return out
}

// EnvName is the environment variable that overrides key.
func EnvName(key string) string { return EnvPrefix + strings.ToUpper(key) }

func typeName(k reflect.Kind) string {
	switch k {
	case reflect.Int:
		return "integer"
	case reflect.Bool:
		return "boolean"
	}
	return "string"
}

// Keys lists every key in the order of config.toml.
func Keys() []Key {
	def := reflect.ValueOf(Default())
	out := make([]Key, len(fields))
	for i, f := range fields {
		out[i] = Key{
			Name:    f.name,
			Env:     EnvName(f.name),
			Type:    typeName(f.kind),
			Default: tomlValue(def.Field(f.index).Interface()),
			Allowed: f.meta.rule.want,
			Secret:  f.secret,
			Section: f.meta.section,
			Doc:     f.meta.doc,
		}
	}
	return out
}

// tomlValue writes a Go value of a Config field as a TOML value.
func tomlValue(v any) string {
	switch v := v.(type) {
	case string:
		return tomlQuote(v)
	case int:
		return strconv.Itoa(v)
	case bool:
		return strconv.FormatBool(v)
	}
	return ""
}
