// Package e2e holds drover's end-to-end and failure tests: real drover
// server and worker processes (the binary built from ./cmd/drover), a real
// redis-server, killed, stopped and restarted while experiments run.
package e2e
