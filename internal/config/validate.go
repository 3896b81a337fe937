package config

import (
	"fmt"
	"reflect"
	"strconv"
)

// Validate checks every key and the rules between keys. Load does this
// already; Validate is for configurations built in code (tests, tools).
func (c *Config) Validate() error {
	v := reflect.ValueOf(c).Elem()
	var errs []*Error
	for i := range fields {
		f := &fields[i]
		var val any
		switch fv := v.Field(f.index); f.kind {
		case reflect.Int:
			val = fv.Int()
		case reflect.Bool:
			val = fv.Bool()
		default:
			val = fv.String()
		}
		if msg := checkValue(f, val); msg != "" {
			errs = append(errs, &Error{Key: f.name, Msg: f.name + ": " + msg})
		}
	}
	if len(errs) == 0 {
		errs = crossCheck(c, nil)
	}
	return joinErrors(errs)
}

// crossCheck applies the rules that involve several keys. An error is placed
// at the first of the keys involved that was set in the file or environment.
func crossCheck(c *Config, origins map[string]origin) []*Error {
	var errs []*Error
	fail := func(keys []string, msg string) {
		at, key := origin{}, keys[0]
		for _, k := range keys {
			if o, ok := origins[k]; ok {
				at, key = o, k
				break
			}
		}
		if at.env == "" {
			msg = key + ": " + msg
		}
		errs = append(errs, at.error(key, msg))
	}

	if !c.IsLoopbackListen() && c.APIToken == "" {
		fail([]string{"listen_address", "api_token"}, fmt.Sprintf(
			"listen_address %s is not a loopback address, so api_token must be set",
			strconv.Quote(c.ListenAddress)))
	}
	if c.WorkerLeasePeriod <= 2*c.WorkerHeartbeatInterval {
		fail([]string{"worker_lease_period", "worker_heartbeat_interval"}, fmt.Sprintf(
			"worker_lease_period (%d s) must be more than twice worker_heartbeat_interval (%d s)",
			c.WorkerLeasePeriod, c.WorkerHeartbeatInterval))
	}
	if c.WorkerSuspectPeriod >= c.WorkerHealthyResponsePeriod {
		fail([]string{"worker_suspect_period", "worker_healthy_response_period"}, fmt.Sprintf(
			"worker_suspect_period (%d s) must be less than worker_healthy_response_period (%d s)",
			c.WorkerSuspectPeriod, c.WorkerHealthyResponsePeriod))
	}
	if c.WorkerSuspectPeriod <= c.WorkerHeartbeatInterval {
		fail([]string{"worker_suspect_period", "worker_heartbeat_interval"}, fmt.Sprintf(
			"worker_suspect_period (%d s) must be more than worker_heartbeat_interval (%d s)",
			c.WorkerSuspectPeriod, c.WorkerHeartbeatInterval))
	}
	if c.RedisTLSCAFile != "" && !c.RedisTLS {
		fail([]string{"redis_tls_ca_file", "redis_tls"},
			"redis_tls_ca_file is set but redis_tls is false; set redis_tls = true")
	}
	pairs := []struct{ cert, key string }{
		{"tls_cert_file", "tls_key_file"},
		{"redis_tls_cert_file", "redis_tls_key_file"},
	}
	for _, p := range pairs {
		cert, key := c.str(p.cert), c.str(p.key)
		if (cert == "") != (key == "") {
			fail([]string{p.cert, p.key}, fmt.Sprintf(
				"%s and %s go together: set both (a certificate and its private key) or neither", p.cert, p.key))
		}
	}
	if !c.RedisTLS && (c.RedisTLSCertFile != "" || c.RedisTLSKeyFile != "") {
		fail([]string{"redis_tls_cert_file", "redis_tls"},
			"redis_tls_cert_file is set but redis_tls is false; set redis_tls = true")
	}
	if c.MainServerMinioCAFile != "" && !c.MainServerMinioTLS {
		fail([]string{"main_server_minio_ca_file", "main_server_minio_tls"},
			"main_server_minio_ca_file is set but main_server_minio_tls is false; set main_server_minio_tls = true")
	}
	return errs
}

// str is the value of a string key.
func (c *Config) str(key string) string {
	return reflect.ValueOf(c).Elem().Field(fieldByName[key].index).String()
}
