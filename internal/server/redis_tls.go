package server

import (
	"strings"

	"github.com/drover-ml/drover/internal/config"
)

// redisHint says which key fixes a failed Redis connection, when the
// failure is about TLS: "" otherwise.
func redisHint(cfg *config.Config, err error) string {
	if err == nil {
		return ""
	}
	if h := config.TLSHint(err, "redis_tls_ca_file", "redis_ip"); h != "" {
		return h
	}
	msg := err.Error()
	switch {
	case cfg.RedisTLS && (strings.Contains(msg, "certificate required") || strings.Contains(msg, "bad certificate")) &&
		cfg.RedisTLSCertFile == "":
		return "Redis asks for a client certificate: set redis_tls_cert_file and redis_tls_key_file"
	case cfg.RedisTLS && cfg.RedisTLSCertFile == "" && (strings.Contains(msg, "connection reset") || strings.Contains(msg, "EOF")):
		// With TLS 1.3 a refused client certificate often shows only as a reset.
		return "if Redis asks for client certificates (tls-auth-clients), set redis_tls_cert_file and redis_tls_key_file"
	case cfg.RedisTLS && (strings.Contains(msg, "certificate required") || strings.Contains(msg, "bad certificate") ||
		strings.Contains(msg, "unknown certificate authority")):
		return "Redis refused the certificate of redis_tls_cert_file: it must be signed by a CA in Redis's tls-ca-cert-file"
	case cfg.RedisTLS && strings.Contains(msg, "first record does not look like a TLS handshake"):
		return "this Redis does not speak TLS on redis_port: set redis_tls = false or use its tls-port"
	case !cfg.RedisTLS && (strings.Contains(msg, "connection reset") || strings.Contains(msg, "EOF")):
		return "if this Redis speaks TLS only, set redis_tls = true and redis_tls_ca_file"
	}
	return ""
}
