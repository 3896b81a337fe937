package server

import (
	"context"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the server's Prometheus series, in a registry of its own so
// several servers can live in one test process.
type metrics struct {
	reg           *prometheus.Registry
	created       prometheus.Counter
	finished      *prometheus.CounterVec
	staleRejected prometheus.Counter
	wait          prometheus.Histogram
	pickup        prometheus.Histogram
	run           prometheus.Histogram
	recovery      prometheus.Histogram
	queueDepth    *prometheus.GaugeVec
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
		wait: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "drover_queue_wait_seconds", Help: "Time from creation to the first attempt's start.",
			Buckets: prometheus.ExponentialBuckets(0.01, 3, 12)}),
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
			Name: "drover_queue_depth", Help: "Queued experiments by queue."}, []string{"queue"}),
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
		m.queueDepth, m.processors, m.busy, m.workers, m.queue,
		prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	return m
}

// handleMetrics refreshes the gauges from the current state, then serves
// every series in the Prometheus text format.
func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	if info, err := s.systemInfo(r.Context()); err == nil {
		s.metrics.queueDepth.WithLabelValues("cpu").Set(float64(info.Queue.CPU))
		s.metrics.queueDepth.WithLabelValues("gpu").Set(float64(info.Queue.GPU))
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
