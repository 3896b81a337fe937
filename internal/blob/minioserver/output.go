package minioserver

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
)

const tailLines = 20

// lineLog turns the child's output into debug log records, one per line,
// with the credentials replaced, and keeps the last lines for error reports.
type lineLog struct {
	log     *slog.Logger
	secrets []string

	mu      sync.Mutex
	partial []byte
	last    []string
}

func newLineLog(log *slog.Logger, secrets ...string) *lineLog {
	l := &lineLog{log: log}
	for _, s := range secrets {
		if s != "" {
			l.secrets = append(l.secrets, s)
		}
	}
	return l
}

func (l *lineLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.partial = append(l.partial, p...)
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			break
		}
		l.emit(string(l.partial[:i]))
		l.partial = l.partial[i+1:]
	}
	if len(l.partial) > 64<<10 { // a runaway line: cut it
		l.emit(string(l.partial))
		l.partial = l.partial[:0]
	}
	return len(p), nil
}

func (l *lineLog) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.partial) > 0 {
		l.emit(string(l.partial))
		l.partial = nil
	}
}

func (l *lineLog) emit(line string) {
	line = strings.TrimRight(line, "\r ")
	if line == "" {
		return
	}
	for _, s := range l.secrets {
		line = strings.ReplaceAll(line, s, "****")
	}
	l.log.Debug("minio output", "line", line)
	l.last = append(l.last, line)
	if len(l.last) > tailLines {
		l.last = l.last[len(l.last)-tailLines:]
	}
}

func (l *lineLog) tail() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.last) == 0 {
		return "(none)"
	}
	return strings.Join(l.last, " | ")
}
