package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func fixture(name string) string { return filepath.Join("testdata", name) }

// with returns Default() changed by edit.
func with(edit func(c *Config)) *Config {
	c := Default()
	edit(&c)
	return &c
}

func TestLoad(t *testing.T) {
	full := &Config{
		WorkerMode: "multinode", EnableDaskCluster: false,
		RedisIP: "10.0.0.5", RedisPort: 6380, RedisDB: 3, MainServerRedisPassword: "redis-pw",
		RedisTLS: true, RedisTLSCAFile: "/etc/drover/ca.pem", RedisKeyPrefix: "team-a.drover",
		RedisResultQueuePollingInterval: 250,
		LocalMinioPort:                  0, MainServerMinioAddress: "minio.internal:9100",
		MainServerMinioAccessKeyID: "AKID", MainServerMinioSecretAccessKey: "s3cr3t",
		MainServerMinioBucket: "drover-data", MainServerMinioRegion: "eu-west-1",
		MainServerMinioTLS: true, MainServerMinioBucketPingTimeout: 60,
		ListenAddress: "0.0.0.0:8080", DataDirectory: "/var/lib/drover", APIToken: "tok-123",
		MaxRetries: 5, AllowCommandExperiments: true, ExperimentTimeLimit: 3600, LogLevel: "debug", SchedulingPolicy: "fifo",
		MaxUploadSizeMB: DefaultMaxUploadSizeMB, MaxPredictSizeMB: DefaultMaxPredictSizeMB, MaxColumns: DefaultMaxColumns,
		MaxConcurrentUploads: DefaultMaxConcurrentUploads,
		WorkerName:           "gpu-box-1", WorkerLocalProcessors: 4, WorkerRemoteProcessors: 3,
		WorkerGPUs: 2, WorkerThreads: 8, WorkerHeartbeatInterval: 2, WorkerLeasePeriod: 20,
		WorkerSuspectPeriod: 6, WorkerHealthyResponsePeriod: 120, WorkerGracePeriod: 30,
		WorkerCacheSizeMB: 2048,
	}
	tests := []struct {
		name string
		file string // under testdata; "" for none
		env  []string
		want *Config
	}{
		{"defaults", "", nil, with(func(*Config) {})},
		{"empty file", "empty.toml", nil, with(func(*Config) {})},
		{"full file", "full.toml", nil, full},
		{"env string", "", []string{"DROVER_WORKER_MODE=singlenode"},
			with(func(c *Config) { c.WorkerMode = ModeSinglenode })},
		{"env integer", "", []string{"DROVER_REDIS_PORT=6380"},
			with(func(c *Config) { c.RedisPort = 6380 })},
		{"env negative integer", "", []string{"DROVER_WORKER_GPUS=-1", "DROVER_WORKER_GPUS=0"},
			with(func(c *Config) { c.WorkerGPUs = 0 })},
		{"env boolean", "", []string{"DROVER_REDIS_TLS=true", "DROVER_ALLOW_COMMAND_EXPERIMENTS=1"},
			with(func(c *Config) { c.RedisTLS = true; c.AllowCommandExperiments = true })},
		{"env empty string", "full.toml", []string{"DROVER_WORKER_NAME="},
			with(func(c *Config) { *c = *full; c.WorkerName = "" })},
		{"env over file", "full.toml", []string{"DROVER_REDIS_PORT=7000", "DROVER_API_TOKEN=other"},
			with(func(c *Config) { *c = *full; c.RedisPort = 7000; c.APIToken = "other" })},
		{"env secret", "", []string{"DROVER_MAIN_SERVER_MINIO_SECRET_ACCESS_KEY=xyz"},
			with(func(c *Config) { c.MainServerMinioSecretAccessKey = "xyz" })},
		{"other DROVER_ variables ignored", "", []string{"DROVER_DATASET=/x", "DROVER_REDIS_PROT=1", "HOME=/root", "noequals"},
			with(func(*Config) {})},
		{"lowercase variable ignored", "", []string{"DROVER_redis_port=1"}, with(func(*Config) {})},
		{"public listen with token from env", "public_no_token.toml", []string{"DROVER_API_TOKEN=t"},
			with(func(c *Config) { c.LogLevel = "warn"; c.ListenAddress = "0.0.0.0:12345"; c.APIToken = "t" })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := ""
			if tt.file != "" {
				path = fixture(tt.file)
			}
			got, err := Load(path, tt.env)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if *got != *tt.want {
				t.Errorf("Load:\n got %+v\nwant %+v", *got, *tt.want)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name string
		file string
		env  []string
		want string   // the whole error text
		line int      // Line of the first *Error
		key  string   // Key of the first *Error
		hide []string // must not appear in the error
		many int      // number of joined errors, 0 for one
	}{
		{name: "unknown key", file: "unknown_key.toml",
			want: `testdata/unknown_key.toml:12: unknown key "redis_prot" (did you mean "redis_port"?)`,
			line: 12, key: "redis_prot"},
		{name: "wrong type", file: "wrong_type.toml",
			want: `testdata/wrong_type.toml:3: redis_port: want an integer from 1 to 65535, got "abc"`,
			line: 3, key: "redis_port"},
		{name: "float for integer", file: "float_port.toml",
			want: `testdata/float_port.toml:1: redis_port: want an integer from 1 to 65535, got 6379.0 (a float)`,
			line: 1, key: "redis_port"},
		{name: "out of range", file: "out_of_range.toml",
			want: `testdata/out_of_range.toml:1: redis_port: want an integer from 1 to 65535, got 70000`,
			line: 1, key: "redis_port"},
		{name: "dask refused", file: "dask.toml",
			want: `testdata/dask.toml:4: enable_dask_cluster: Dask clusters are not supported by drover: ` +
				`each experiment runs on one node (set enable_dask_cluster = false or remove the key)`,
			line: 4, key: "enable_dask_cluster"},
		{name: "dask refused from env", env: []string{"DROVER_ENABLE_DASK_CLUSTER=true"},
			want: `DROVER_ENABLE_DASK_CLUSTER: Dask clusters are not supported by drover: ` +
				`each experiment runs on one node (set enable_dask_cluster = false or remove the key)`,
			key: "enable_dask_cluster"},
		{name: "public listen without token", file: "public_no_token.toml",
			want: `testdata/public_no_token.toml:2: listen_address: listen_address "0.0.0.0:12345" ` +
				`is not a loopback address, so api_token must be set`,
			line: 2, key: "listen_address"},
		{name: "every interface without token", env: []string{"DROVER_LISTEN_ADDRESS=:12345"},
			want: `DROVER_LISTEN_ADDRESS: listen_address ":12345" is not a loopback address, so api_token must be set`,
			key:  "listen_address"},
		{name: "syntax error", file: "syntax.toml", line: 2,
			want: `testdata/syntax.toml:2: expected value but found '=' instead`},
		{name: "table", file: "table.toml", line: 3, key: "redis",
			want: `testdata/table.toml:3: unknown table "redis": every drover key is at the top level, outside any [table]`},
		{name: "secret of wrong type", file: "secret_type.toml", line: 1, key: "api_token",
			want: `testdata/secret_type.toml:1: api_token: want a string, got an integer (not shown: secret)`,
			hide: []string{"987654321"}},
		{name: "secret syntax error", file: "secret_syntax.toml", line: 2,
			want: `testdata/secret_syntax.toml:2: invalid TOML in the value of main_server_redis_password (not shown: secret)`,
			hide: []string{"hunter2"}},
		{name: "env integer", env: []string{"DROVER_REDIS_PORT=abc"}, key: "redis_port",
			want: `DROVER_REDIS_PORT: want an integer from 1 to 65535, got "abc"`},
		{name: "env empty integer", env: []string{"DROVER_MAX_RETRIES="}, key: "max_retries",
			want: `DROVER_MAX_RETRIES: want an integer from 0 to 100, got ""`},
		{name: "env boolean", env: []string{"DROVER_REDIS_TLS=yes"}, key: "redis_tls",
			want: `DROVER_REDIS_TLS: want true or false, got "yes"`},
		{name: "env enum", env: []string{"DROVER_WORKER_MODE=cluster"}, key: "worker_mode",
			want: `DROVER_WORKER_MODE: want one of "multiprocessing", "singlenode", "multinode", got "cluster"`},
		{name: "env prefix", env: []string{"DROVER_REDIS_KEY_PREFIX=a:b"}, key: "redis_key_prefix",
			want: `DROVER_REDIS_KEY_PREFIX: want 1 to 64 of the characters A-Z a-z 0-9 "_" "." "-", got "a:b"`},
		{name: "redis ip with port", env: []string{"DROVER_REDIS_IP=10.0.0.1:6379"}, key: "redis_ip",
			want: `DROVER_REDIS_IP: want an IP address or host name without a port (the port goes in redis_port), got "10.0.0.1:6379"`},
		{name: "minio address with scheme", env: []string{"DROVER_MAIN_SERVER_MINIO_ADDRESS=http://h:9000"},
			key:  "main_server_minio_address",
			want: `DROVER_MAIN_SERVER_MINIO_ADDRESS: want host:port (no scheme; use main_server_minio_tls for https), got "http://h:9000"`},
		{name: "bucket", env: []string{"DROVER_MAIN_SERVER_MINIO_BUCKET=My_Bucket"}, key: "main_server_minio_bucket",
			want: `DROVER_MAIN_SERVER_MINIO_BUCKET: want a bucket name: 3 to 63 of a-z 0-9 "." "-", starting and ending with a letter or digit, got "My_Bucket"`},
		{name: "cert without key", env: []string{"DROVER_TLS_CERT_FILE=/etc/drover/cert.pem"}, key: "tls_cert_file",
			want: "DROVER_TLS_CERT_FILE: tls_cert_file and tls_key_file go together: set both (a certificate and its private key) or neither"},
		{name: "redis client key without cert", env: []string{"DROVER_REDIS_TLS=true", "DROVER_REDIS_TLS_KEY_FILE=/k.pem"}, key: "redis_tls_key_file",
			want: "DROVER_REDIS_TLS_KEY_FILE: redis_tls_cert_file and redis_tls_key_file go together: set both (a certificate and its private key) or neither"},
		{name: "redis client cert without tls", env: []string{"DROVER_REDIS_TLS_CERT_FILE=/c.pem", "DROVER_REDIS_TLS_KEY_FILE=/k.pem"}, key: "redis_tls_cert_file",
			want: "DROVER_REDIS_TLS_CERT_FILE: redis_tls_cert_file is set but redis_tls is false; set redis_tls = true"},
		{name: "minio ca without tls", env: []string{"DROVER_MAIN_SERVER_MINIO_CA_FILE=/ca.pem"}, key: "main_server_minio_ca_file",
			want: "DROVER_MAIN_SERVER_MINIO_CA_FILE: main_server_minio_ca_file is set but main_server_minio_tls is false; set main_server_minio_tls = true"},
		{name: "lease too short", file: "lease.toml", line: 1, key: "worker_heartbeat_interval", many: 2,
			want: "testdata/lease.toml:1: worker_heartbeat_interval: worker_lease_period (10 s) must be more than twice worker_heartbeat_interval (5 s)\n" +
				"testdata/lease.toml:1: worker_heartbeat_interval: worker_suspect_period (5 s) must be more than worker_heartbeat_interval (5 s)"},
		{name: "suspect after unhealthy", env: []string{"DROVER_WORKER_HEALTHY_RESPONSE_PERIOD=5"},
			key:  "worker_healthy_response_period",
			want: `DROVER_WORKER_HEALTHY_RESPONSE_PERIOD: worker_suspect_period (5 s) must be less than worker_healthy_response_period (5 s)`},
		{name: "ca file without tls", env: []string{"DROVER_REDIS_TLS_CA_FILE=/ca.pem"}, key: "redis_tls_ca_file",
			want: `DROVER_REDIS_TLS_CA_FILE: redis_tls_ca_file is set but redis_tls is false; set redis_tls = true`},
		{name: "several at once", file: "several.toml", env: []string{"DROVER_REDIS_DB=-1"}, line: 1, key: "worker_mode", many: 4,
			want: `testdata/several.toml:1: worker_mode: want one of "multiprocessing", "singlenode", "multinode", got "cluster"` + "\n" +
				`testdata/several.toml:2: redis_port: want an integer from 1 to 65535, got 0` + "\n" +
				`testdata/several.toml:3: log_level: want one of "debug", "info", "warn", "error", got "verbose"` + "\n" +
				`DROVER_REDIS_DB: want an integer >= 0, got -1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := ""
			if tt.file != "" {
				path = fixture(tt.file)
			}
			c, err := Load(path, tt.env)
			if err == nil {
				t.Fatalf("Load succeeded: %+v", c)
			}
			if got := filepath.ToSlash(err.Error()); got != tt.want {
				t.Errorf("error:\n got %s\nwant %s", got, tt.want)
			}
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("error %T is no *Error", err)
			}
			if ce.Line != tt.line || ce.Key != tt.key {
				t.Errorf("first *Error: line %d key %q, want line %d key %q", ce.Line, ce.Key, tt.line, tt.key)
			}
			if tt.many > 0 {
				if j, ok := err.(interface{ Unwrap() []error }); !ok || len(j.Unwrap()) != tt.many {
					t.Errorf("want %d joined errors, got %v", tt.many, err)
				}
			}
			for _, h := range tt.hide {
				if strings.Contains(err.Error(), h) {
					t.Errorf("error shows %q: %v", h, err)
				}
			}
		})
	}
}

func TestLoadDefaultPath(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, DefaultPath)

	c, err := LoadDefaultPath(missing, false, []string{"DROVER_REDIS_DB=2"})
	if err != nil {
		t.Fatalf("implicit missing file: %v", err)
	}
	if want := with(func(c *Config) { c.RedisDB = 2 }); *c != *want {
		t.Errorf("implicit missing file: got %+v", *c)
	}

	_, err = LoadDefaultPath(missing, true, nil)
	var ce *Error
	if !errors.As(err, &ce) || ce.File != missing || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("explicit missing file: got %v, want an *Error for %s wrapping fs.ErrNotExist", err, missing)
	}

	if err := os.WriteFile(missing, []byte("redis_db = 4\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, explicit := range []bool{false, true} {
		c, err := LoadDefaultPath(missing, explicit, nil)
		if err != nil || c.RedisDB != 4 {
			t.Errorf("existing file, explicit=%v: got %+v, %v", explicit, c, err)
		}
	}
}

func TestShowMasksSecrets(t *testing.T) {
	c, err := Load(fixture("full.toml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{"redis-pw", "AKID", "s3cr3t", "tok-123"}

	var text bytes.Buffer
	if err := c.Show(&text, false); err != nil {
		t.Fatal(err)
	}
	var js bytes.Buffer
	if err := c.Show(&js, true); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{text.String(), js.String()} {
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("Show prints the secret %q:\n%s", s, out)
			}
		}
	}
	for _, line := range []string{`api_token = "********"`, `redis_port = 6380`, `worker_mode = "multinode"`, "# Redis"} {
		if !strings.Contains(text.String(), line+"\n") {
			t.Errorf("text form lacks %q:\n%s", line, text.String())
		}
	}

	var got map[string]any
	if err := json.Unmarshal(js.Bytes(), &got); err != nil {
		t.Fatalf("JSON form: %v\n%s", err, js.String())
	}
	if len(got) != len(Keys()) {
		t.Errorf("JSON form has %d keys, want %d", len(got), len(Keys()))
	}
	for k, want := range map[string]any{
		"api_token": Mask, "main_server_redis_password": Mask, "main_server_minio_access_key_id": Mask,
		"main_server_minio_secret_access_key": Mask, "redis_port": 6380.0, "redis_tls": true, "worker_name": "gpu-box-1",
	} {
		if got[k] != want {
			t.Errorf("JSON %s = %v, want %v", k, got[k], want)
		}
	}

	// An empty secret stays empty.
	d := Default()
	js.Reset()
	if err := d.Show(&js, true); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(js.String(), `"api_token": ""`) {
		t.Errorf("empty secret not shown empty:\n%s", js.String())
	}

	// The text form of the defaults loads back to the defaults.
	text.Reset()
	if err := d.Show(&text, false); err != nil {
		t.Fatal(err)
	}
	back, err := Parse("show", text.Bytes(), nil)
	if err != nil || *back != d {
		t.Errorf("Show output does not load back: %v", err)
	}
}

func TestKeys(t *testing.T) {
	keys := Keys()
	byName := map[string]Key{}
	for _, k := range keys {
		byName[k.Name] = k
	}
	want := map[string]Key{
		"redis_port": {Name: "redis_port", Env: "DROVER_REDIS_PORT", Type: "integer", Default: "6379",
			Allowed: "an integer from 1 to 65535", Section: SectionRedis},
		"api_token": {Name: "api_token", Env: "DROVER_API_TOKEN", Type: "string", Default: `""`,
			Allowed: "a string", Secret: true, Section: SectionServer},
		"enable_dask_cluster": {Name: "enable_dask_cluster", Env: "DROVER_ENABLE_DASK_CLUSTER", Type: "boolean",
			Default: "false", Allowed: "false", Section: SectionWorkerMode},
	}
	for name, w := range want {
		g := byName[name]
		g.Doc = ""
		if g != w {
			t.Errorf("Keys()[%s] = %+v, want %+v", name, g, w)
		}
	}
	var secret []string
	for _, k := range keys {
		if k.Secret {
			secret = append(secret, k.Name)
		}
	}
	if got := strings.Join(secret, " "); got != "main_server_redis_password main_server_minio_access_key_id main_server_minio_secret_access_key api_token" {
		t.Errorf("secret keys: %s", got)
	}
}

func TestHelpers(t *testing.T) {
	c, err := Load(fixture("full.toml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name      string
		got, want time.Duration
	}{
		{"HeartbeatInterval", c.HeartbeatInterval(), 2 * time.Second},
		{"LeasePeriod", c.LeasePeriod(), 20 * time.Second},
		{"SuspectPeriod", c.SuspectPeriod(), 6 * time.Second},
		{"HealthyResponsePeriod", c.HealthyResponsePeriod(), 120 * time.Second},
		{"GracePeriod", c.GracePeriod(), 30 * time.Second},
		{"PollingInterval", c.PollingInterval(), 250 * time.Millisecond},
		{"BucketPingTimeout", c.BucketPingTimeout(), 60 * time.Second},
		{"TimeLimit", c.TimeLimit(), time.Hour},
	} {
		if tt.got != tt.want {
			t.Errorf("%s() = %v, want %v", tt.name, tt.got, tt.want)
		}
	}
	if got := c.RedisAddr(); got != "10.0.0.5:6380" {
		t.Errorf("RedisAddr() = %s", got)
	}
	if got := with(func(c *Config) { c.RedisIP = "::1" }).RedisAddr(); got != "[::1]:6379" {
		t.Errorf("RedisAddr() IPv6 = %s", got)
	}
	if !c.UsesRedis() || !c.UsesObjectStore() || c.SlogLevel().String() != "DEBUG" {
		t.Errorf("UsesRedis/UsesObjectStore/SlogLevel wrong for %+v", c)
	}
	d := Default()
	if c.EffectiveWorkerName() != "gpu-box-1" || !isName(d.EffectiveWorkerName()) {
		t.Errorf("EffectiveWorkerName: %q, %q", c.EffectiveWorkerName(), d.EffectiveWorkerName())
	}

	cpus := runtime.NumCPU()
	for _, tt := range []struct{ set, want int }{
		{1, 1}, {cpus, cpus}, {cpus + 1, cpus}, {DefaultWorkerLocalProcessors, min(32, cpus)},
	} {
		if got := with(func(c *Config) { c.WorkerLocalProcessors = tt.set }).LocalProcessors(); got != tt.want {
			t.Errorf("LocalProcessors() with %d = %d, want %d", tt.set, got, tt.want)
		}
	}
	if got := with(func(c *Config) { c.WorkerThreads = 3 }).ThreadsPerExperiment(2); got != 3 {
		t.Errorf("ThreadsPerExperiment with worker_threads = 3: %d", got)
	}
	if got := Default(); got.ThreadsPerExperiment(cpus*2) != 1 || got.ThreadsPerExperiment(1) != cpus {
		t.Errorf("ThreadsPerExperiment from cores wrong")
	}

	for addr, want := range map[string]bool{
		"127.0.0.1:12345": true, "127.3.2.1:1": true, "[::1]:80": true, "localhost:80": true,
		"0.0.0.0:80": false, ":80": false, "10.1.2.3:80": false, "[::]:80": false, "example.com:80": false,
		"garbage": false,
	} {
		if got := with(func(c *Config) { c.ListenAddress = addr }).IsLoopbackListen(); got != want {
			t.Errorf("IsLoopbackListen(%q) = %v, want %v", addr, got, want)
		}
	}
}

func TestValidate(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	c.RedisPort = 0
	c.APIToken = "sekrit"
	c.ListenAddress = "0.0.0.0:1"
	err := c.Validate()
	if err == nil || err.Error() != "config: redis_port: want an integer from 1 to 65535, got 0" {
		t.Errorf("Validate: %v", err)
	}
	c.RedisPort = 1
	c.APIToken = ""
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "api_token must be set") {
		t.Errorf("Validate: %v", err)
	}
}

func TestIgnoredEnv(t *testing.T) {
	got := IgnoredEnv([]string{"DROVER_REDIS_PORT=1", "DROVER_REDIS_PROT=1", "DROVER_DATASET=x", "PATH=/bin", "DROVER_redis_port=2"})
	if strings.Join(got, ",") != "DROVER_REDIS_PROT,DROVER_redis_port" {
		t.Errorf("IgnoredEnv = %v", got)
	}
}

func TestEnvWarnings(t *testing.T) {
	got := EnvWarnings([]string{"DROVER_REDIS_PROT=1", "DROVER_redis_port=2", "DROVER_TLS_CERT=x", "DROVER_NOTHING_LIKE_IT=1", "DROVER_ATTEMPT=1"})
	want := []string{
		"DROVER_REDIS_PROT names no key and is ignored (did you mean DROVER_REDIS_PORT?)",
		"DROVER_redis_port names no key and is ignored (did you mean DROVER_REDIS_PORT?)",
		"DROVER_TLS_CERT names no key and is ignored (did you mean DROVER_TLS_CERT_FILE?)",
		"DROVER_NOTHING_LIKE_IT names no key and is ignored",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("EnvWarnings =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestSuggest(t *testing.T) {
	for in, want := range map[string]string{
		"redis_prot": "redis_port", "REDIS_PORT": "redis_port", "workers_mode": "worker_mode",
		"minio_bucket": "main_server_minio_bucket", "completely_unrelated": "", "x": "",
	} {
		if got := suggest(in); got != want {
			t.Errorf("suggest(%q) = %q, want %q", in, got, want)
		}
	}
}
