package server

import (
	"log"
	"log/slog"
	"strings"
)

// httpErrorLog routes net/http's own messages to the server's logger: a
// TLS handshake that fails (a plain-HTTP client on the HTTPS port, a client
// that does not trust the certificate) is the client's business and logged
// at debug; anything else (a handler's panic) as a warning.
func httpErrorLog(l *slog.Logger) *log.Logger {
	return log.New(httpLogWriter{l.With(slog.String("component", "http"))}, "", 0)
}

type httpLogWriter struct{ log *slog.Logger }

func (w httpLogWriter) Write(p []byte) (int, error) {
	msg := strings.TrimSpace(string(p))
	if strings.Contains(msg, "TLS handshake error") {
		w.log.Debug(msg)
	} else {
		w.log.Warn(msg)
	}
	return len(p), nil
}
