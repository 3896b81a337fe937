package server

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/drover-ml/drover/api"
	"github.com/drover-ml/drover/internal/queue"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the server's Prometheus series, in a registry of its own so
// several servers can live in one test process.
type metrics struct {
	reg           *prometheus.Registry
	created       prometheus.Counter
	finished      *prometheus.CounterVec
	staleRejected prometheus.Counter
	wait          *prometheus.HistogramVec
	pickup        prometheus.Histogram
	run           prometheus.Histogram
	recovery      prometheus.Histogram
	queueDepth    *prometheus.GaugeVec
	runningByUser *prometheus.GaugeVec
	processors    prometheus.Gauge
	busy          prometheus.Gauge
	workers       *prometheus.GaugeVec
	queue         *prometheus.GaugeVec
	cacheLookups  *prometheus.CounterVec
	bytesFetched  prometheus.Counter
	fetchSeconds  prometheus.Histogram
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		created: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "drover_experiments_created_total", Help: "Experiments created."}),
		finished: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "drover_experiments_finished_total", Help: "Attempts ended, by resulting experiment status (queued = retried)."}, []string{"status"}),
		staleRejected: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "drover_stale_results_rejected_total", Help: "Results, heartbeats or artifacts of an attempt that was no longer current, rejected."}),
		wait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "drover_queue_wait_seconds", Help: "Time from creation to the first attempt's start, by priority class.",
			Buckets: prometheus.ExponentialBuckets(0.01, 3, 12)}, []string{"priority"}),
		pickup: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "drover_pickup_latency_seconds", Help: "Time from a free processor claiming an experiment to its child process running.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16)}),
		run: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "drover_run_seconds", Help: "Time from start to end of finished experiments.",
			Buckets: prometheus.ExponentialBuckets(0.1, 3, 12)}),
		recovery: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "drover_recovery_seconds", Help: "Time from a worker's last heartbeat to its lost experiment being queued again.",
			Buckets: prometheus.ExponentialBuckets(0.5, 2, 10)}),
		queueDepth: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "drover_queue_depth", Help: "Queued experiments by queue (cpu, gpu) and priority class (high, normal, low)."}, []string{"queue", "priority"}),
		runningByUser: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "drover_running_experiments", Help: "Running experiments by owner: the " + fmt.Sprint(topUsers) + " users running most by name, the rest as \"other\"."}, []string{"user"}),
		processors: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "drover_processors", Help: "Processors (experiment slots) of every healthy worker."}),
		busy: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "drover_processors_busy", Help: "Processors running an experiment."}),
		workers: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "drover_workers", Help: "Workers by health."}, []string{"health"}),
		queue: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "drover_queue_counter", Help: "Counters kept in Redis by the queue (claims, requeues, stale results rejected, ...), shared by every process of the installation."}, []string{"counter"}),
		cacheLookups: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "drover_dataset_cache_lookups_total", Help: "Datasets workers needed for an attempt, by whether their cache had it."}, []string{"result"}),
		bytesFetched: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "drover_dataset_bytes_fetched_total", Help: "Bytes workers downloaded from the object store for datasets."}),
		fetchSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "drover_dataset_fetch_seconds", Help: "Time a worker took to get an attempt's dataset (cache hit or download).",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 10)}),
	}
	m.reg.MustRegister(m.cacheLookups, m.bytesFetched, m.fetchSeconds, m.created, m.finished, m.staleRejected, m.wait, m.pickup, m.run, m.recovery,
		m.queueDepth, m.runningByUser, m.processors, m.busy, m.workers, m.queue,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// handleMetrics refreshes the gauges from the current state, then serves
// every series in the Prometheus text format.
func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	s.userMetrics(r.Context())
	if info, err := s.systemInfo(r.Context()); err == nil {
		s.metrics.processors.Set(float64(info.TotalProcessors))
		s.metrics.busy.Set(float64(info.BusyProcessors))
		s.metrics.workers.Reset()
		for _, wk := range info.Workers {
			s.metrics.workers.WithLabelValues(wk.Health).Inc()
		}
	}
	if c, ok := s.disp.(interface{ collect(context.Context) }); ok {
		c.collect(r.Context())
	}
	promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{}).ServeHTTP(w, r)
}

// topUsers bounds the user label of drover_running_experiments.
const topUsers = 10

// userMetrics sets the queue depth by queue and class, and the running
// experiments by owner (bounded: topUsers names, then "other").
func (s *Server) userMetrics(ctx context.Context) {
	list, err := s.store.ListExperiments(ctx, api.StatusQueued, api.StatusRunning)
	if err != nil {
		return
	}
	depth := map[[2]string]int{}
	for _, q := range []string{"cpu", "gpu"} {
		for _, p := range queue.Priorities {
			depth[[2]string{q, p}] = 0
		}
	}
	running := map[string]int{}
	for _, e := range list {
		if e.Status == api.StatusRunning {
			running[ownerOf(e)]++
			continue
		}
		p := e.Spec.Priority
		if p == "" {
			p = queue.PriorityNormal
		}
		depth[[2]string{queueOf(e.Spec), p}]++
	}
	for k, n := range depth {
		s.metrics.queueDepth.WithLabelValues(k[0], k[1]).Set(float64(n))
	}
	users := make([]string, 0, len(running))
	for u := range running {
		users = append(users, u)
	}
	slices.SortFunc(users, func(a, b string) int {
		if running[a] != running[b] {
			return running[b] - running[a]
		}
		return strings.Compare(a, b)
	})
	s.metrics.runningByUser.Reset()
	other := 0
	for i, u := range users {
		if i < topUsers {
			s.metrics.runningByUser.WithLabelValues(u).Set(float64(running[u]))
		} else {
			other += running[u]
		}
	}
	if len(users) > topUsers {
		s.metrics.runningByUser.WithLabelValues("other").Set(float64(other))
	}
}

// queueStats publishes the queue's Redis-side counters.
func (m *metrics) queueStats(st map[string]int64) {
	for k, v := range st {
		m.queue.WithLabelValues(k).Set(float64(v))
	}
}

// dataset records how a worker got an attempt's dataset.
func (m *metrics) dataset(hit bool, bytes int64, seconds float64) {
	result := "miss"
	if hit {
		result = "hit"
	}
	m.cacheLookups.WithLabelValues(result).Inc()
	m.bytesFetched.Add(float64(bytes))
	m.fetchSeconds.Observe(seconds)
}
