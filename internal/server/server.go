// Package server is drover's main server: the REST API, the web UI, the
// scheduling state (the only writer of the SQLite store) and the dispatcher
// that hands experiments to processors: local child processes in
// multiprocessing mode, Redis workers in singlenode and multinode modes.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/drover-ml/drover/api"
	"github.com/drover-ml/drover/internal/blob"
	"github.com/drover-ml/drover/internal/blob/local"
	"github.com/drover-ml/drover/internal/blob/minioserver"
	"github.com/drover-ml/drover/internal/config"
	"github.com/drover-ml/drover/internal/loops"
	"github.com/drover-ml/drover/internal/queue"
	"github.com/drover-ml/drover/internal/store"
)

// Version is set by the CLI from the build information.
var Version = "dev"

// Dispatcher hands queued experiments to processors.
type Dispatcher interface {
	// Start begins dispatching; it returns once running.
	Start(ctx context.Context) error
	// Stop stops dispatching and waits; idempotent.
	Stop()
	// Submit tells the dispatcher a new experiment is queued in the store.
	Submit(ctx context.Context, e *store.Experiment) error
	// Cancel cancels a queued or running experiment.
	Cancel(ctx context.Context, e *store.Experiment) error
	// Finish asks a running experiment to stop searching and keep the best
	// model so far; it reports whether the request reached a processor.
	Finish(ctx context.Context, e *store.Experiment) (bool, error)
	// Workers describes the processors for system info.
	Workers(ctx context.Context) ([]api.Worker, error)
	// Positions gives the queue place and wait reason of queued experiments.
	Positions(ctx context.Context, queued []*store.Experiment) (map[string]Position, error)
}

// Position is where a queued experiment waits and why.
type Position struct {
	Queue    string
	Index    int // 1-based
	Reason   string
	Priority string // its class
	Higher   int    // experiments of a higher class ahead of it
	Kind     string // the kind of wait (queue.Wait*): does it need a person?
}

// place is the position as users read it.
func (p Position) place() string {
	return queue.Position{Queue: p.Queue, Index: p.Index, Priority: p.Priority, Higher: p.Higher, Reason: p.Reason}.String()
}

// Server is one running main server.
type Server struct {
	cfg       *config.Config
	cursorKey []byte // signs list cursors (lists.go), kept in the data directory
	log       *slog.Logger
	store     *store.Store
	blobs     blob.Store // the server's own files (local directory)
	objects   blob.Store // the object store shared with remote workers; nil unless multinode
	dataDir   string
	hub       *hub
	metrics   *metrics
	disp      Dispatcher
	minio     *minioserver.Server // the local MinIO this server supervises, if any
	uploads   uploadSlots         // concurrent uploads (max_concurrent_uploads)
	sessions  *sessions           // the web UI's logins
	failures  *failures           // wrong tokens per client address
	contents  contentLocks        // per dataset content: filing an upload against deleting it
	bg        loops.Group         // background jobs of the server itself (the object orphan sweep, search index merges)
	// routePatterns are the patterns of the router, for the OpenAPI test.
	routePatterns []string
	// queue is the last view of the queue: places, wait reasons, alerts.
	queue queueCache
	// life lives from Serve to Stop: background work of requests (the
	// queue view's refresh) runs in it.
	life context.Context

	httpSrv  *http.Server
	listener net.Listener
	tls      *tls.Config // HTTPS (tls_cert_file, tls_key_file); nil serves plain HTTP

	predicting atomic.Int64 // predictions being scored (health: running_non_experiment)

	stopOnce sync.Once
	cancel   context.CancelFunc
	done     chan struct{}
}

// New opens the store and blob store under the data directory. It does not
// listen yet; call Start.
func New(ctx context.Context, cfg *config.Config, log *slog.Logger) (*Server, error) {
	if log == nil {
		log = slog.Default()
	}
	if cfg.APIToken != "" && len(cfg.APIToken) < MinTokenLength {
		return nil, fmt.Errorf("server: api_token is %d characters long; use at least %d (e.g. the output of: openssl rand -hex 24)",
			len(cfg.APIToken), MinTokenLength)
	}
	tlsConf, err := cfg.ServerTLS()
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	dataDir, err := filepath.Abs(cfg.DataDirectory)
	if err != nil {
		return nil, fmt.Errorf("server: data directory: %w", err)
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, fmt.Errorf("server: create data directory %s: %w", dataDir, err)
	}
	cursorKey, err := loadCursorKey(dataDir)
	if err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, filepath.Join(dataDir, "drover.db"))
	if err != nil {
		return nil, err
	}
	blobs, err := local.New(filepath.Join(dataDir, "blobs"))
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("server: blob store: %w", err)
	}
	s := &Server{
		cfg:       cfg,
		cursorKey: cursorKey,
		log:       log.With(slog.String("component", "server")),
		store:     st,
		blobs:     blobs,
		dataDir:   dataDir,
		hub:       newHub(),
		metrics:   newMetrics(),
		done:      make(chan struct{}),
		uploads:   make(uploadSlots, max(1, cfg.MaxConcurrentUploads)),
		sessions:  newSessions(st),
		failures:  newFailures(),
		tls:       tlsConf,
	}
	s.sweep()
	if n := s.sweepLocalOrphans(ctx); n > 0 {
		s.log.Info("startup sweep removed files no dataset or experiment names (an interrupted delete or upload)", slog.Int("entries", n))
	}
	if cfg.UsesObjectStore() {
		objects, mio, err := openObjects(ctx, cfg, dataDir, s.log)
		if err != nil {
			st.Close()
			return nil, err
		}
		s.objects, s.minio = objects, mio
	}
	switch cfg.WorkerMode {
	case config.ModeMultiprocessing:
		s.disp = newLocalDispatcher(s)
	default:
		d, err := newRedisDispatcher(ctx, s)
		if err != nil {
			st.Close()
			if s.minio != nil {
				s.minio.Stop()
			}
			return nil, err
		}
		s.disp = d
	}
	return s, nil
}

// Start recovers state left by an earlier run, starts the dispatcher and
// listens on listen_address.
func (s *Server) Start(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.ListenAddress)
	if err != nil {
		return fmt.Errorf("server: listen on %s: %w", s.cfg.ListenAddress, err)
	}
	return s.Serve(ctx, ln)
}

// Serve is Start on a listener the caller made (tests use port 0).
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	ctx, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
	s.life = ctx
	s.listener = ln
	if err := s.disp.Start(ctx); err != nil {
		ln.Close()
		return err
	}
	// The first view of the queue, in the background, so that the first
	// list or System Info after a start with a long queue need not wait.
	s.queue.mu.Lock()
	s.startQueueView()
	s.queue.mu.Unlock()
	if _, err := s.bg.Start(ctx); err == nil {
		if s.objects != nil {
			s.bg.Go(s.sweepObjectOrphans)
		}
		s.bg.Go(s.mergeSearchIndex) // once at the start, then every searchMergeEvery
		s.bg.Every(searchMergeEvery, s.mergeSearchIndex)
	}
	s.httpSrv = &http.Server{
		Handler:           s.routes(),
		ReadHeaderTimeout: 10 * time.Second,
		// Bodies have their own deadlines (bodyDeadline, uploadGuard);
		// a kept-alive connection with no request goes after IdleTimeout.
		IdleTimeout:    idleTimeout,
		MaxHeaderBytes: 64 << 10,
		BaseContext:    func(net.Listener) context.Context { return ctx },
		TLSConfig:      s.tls,
		ErrorLog:       httpErrorLog(s.log),
	}
	serve := s.httpSrv.Serve
	if s.tls != nil {
		serve = func(ln net.Listener) error { return s.httpSrv.ServeTLS(ln, "", "") }
	}
	go func() {
		defer close(s.done)
		if err := serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("http server stopped", slog.Any("err", err))
		}
	}()
	s.log.Info("drover server listening", slog.String("url", s.URL()),
		slog.String("worker_mode", s.cfg.WorkerMode), slog.String("data_directory", s.dataDir))
	return nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() string { return s.listener.Addr().String() }

// URL is the base URL of the server: https:// when it serves TLS.
func (s *Server) URL() string {
	if s.tls != nil {
		return "https://" + s.Addr()
	}
	return "http://" + s.Addr()
}

// Stop stops taking requests, stops the dispatcher and closes the store.
// Running local experiments are killed; they are re-queued on the next start.
func (s *Server) Stop() {
	s.stopOnce.Do(func() {
		// Event streams never go idle by themselves: end them first, so
		// that Shutdown waits only for requests that do end.
		s.hub.closeAll()
		if s.httpSrv != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if err := s.httpSrv.Shutdown(ctx); err != nil {
				s.log.Warn("stopping: requests still open after 5 s were cut off", slog.Any("err", err))
			}
			cancel()
			<-s.done
		}
		if s.cancel != nil {
			s.cancel()
		}
		s.queue.wg.Wait()
		s.disp.Stop()
		s.bg.Stop(nil)
		s.store.Close()
		if s.minio != nil {
			s.minio.Stop()
		}
	})
}

// attemptDir is where a local attempt writes its outputs; it is the blob
// store's own directory for the attempt's artifact keys, so artifacts need
// no copy in multiprocessing mode.
func (s *Server) attemptDir(id string, attempt int) string {
	return filepath.Join(s.dataDir, "blobs", filepath.FromSlash(blob.ArtifactKey(id, attempt, "")))
}

// experimentDir holds the outputs of every attempt of an experiment.
func (s *Server) experimentDir(id string) string {
	return filepath.Join(s.dataDir, "blobs", filepath.FromSlash(blob.ArtifactPrefix+id))
}

// datasetPath is the local file of a dataset.
func (s *Server) datasetPath(sha string) string {
	return filepath.Join(s.dataDir, "blobs", filepath.FromSlash(blob.DatasetKey(sha)))
}
