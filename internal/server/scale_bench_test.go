package server_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/drover-ml/drover/internal/config"
	"github.com/drover-ml/drover/internal/server"
	"github.com/drover-ml/drover/internal/servertest"
	"github.com/drover-ml/drover/internal/store"
	"github.com/drover-ml/drover/internal/testutil"
)

// BenchmarkScale measures the API on a big store: 100,000 experiments (one
// in ten queued: 10,000 in the queue, in Redis; one in four alice's, the
// rest the admin's), 100 datasets, a singlenode server with no worker (so
// nothing runs and the queue stays long). Each sub-benchmark reports p50
// and p99 of its sequential requests; docs/performance.md has the figures.
// Run with:
//
//	go test -run '^$' -bench Scale -benchtime 200x ./internal/server/
func BenchmarkScale(b *testing.B) {
	const total, datasets = 100_000, 100
	redis := testutil.StartRedis(b)
	cfg := servertest.Config(b)
	_, port, _ := net.SplitHostPort(redis.Addr())
	cfg.WorkerMode = config.ModeSinglenode
	cfg.RedisPort, _ = strconv.Atoi(port)
	fill(b, filepath.Join(cfg.DataDirectory, "drover.db"), total, datasets)
	t0 := time.Now()
	srv := servertest.Start(b, cfg)
	b.Logf("server up on %d experiments in %v; load %s", total, time.Since(t0).Round(time.Millisecond), loadavg())
	base := srv.URL()
	hc := &http.Client{}
	alice := createUser(b, hc, base, "alice")

	get := func(path string, token ...string) func() *http.Request {
		return func() *http.Request {
			r, _ := http.NewRequest("GET", base+path, nil)
			if len(token) > 0 {
				r.Header.Set("Authorization", "Bearer "+token[0])
			}
			return r
		}
	}
	cases := []struct {
		name string
		req  func() *http.Request
	}{
		{"list/newest", get("/api/v1/experiments")},
		{"list/limit500", get("/api/v1/experiments?limit=500")},
		{"list/deep-cursor", get("/api/v1/experiments?cursor=" + url.QueryEscape(server.ExperimentCursor(srv, total/2)))},
		{"list/status-succeeded", get("/api/v1/experiments?status=succeeded")},
		{"list/status-queued", get("/api/v1/experiments?status=queued")},
		{"list/status-two", get("/api/v1/experiments?status=failed,queued")},
		{"list/dataset", get("/api/v1/experiments?dataset=ds_7")},
		{"list/priority-high", get("/api/v1/experiments?priority=high")},
		{"list/task", get("/api/v1/experiments?task=binary")},
		{"list/sort-score", get("/api/v1/experiments?sort=score")},
		{"list/sort-score-asc", get("/api/v1/experiments?sort=score&order=asc")},
		{"list/sort-duration", get("/api/v1/experiments?sort=duration")},
		{"list/sort-score-succeeded-dataset", get("/api/v1/experiments?sort=score&status=succeeded&dataset=ds_7")},
		{"list/tag", get("/api/v1/experiments?tag=nightly")},
		{"list/tag-rare", get("/api/v1/experiments?tag=rare")},
		{"list/tag-sort-score", get("/api/v1/experiments?tag=nightly&sort=score")},
		{"list/q-one", get("/api/v1/experiments?q=run-99999")},
		{"list/q-many", get("/api/v1/experiments?q=run-9")},
		{"list/q-many-sort-score", get("/api/v1/experiments?q=run-9&sort=score")},
		{"user/list-newest", get("/api/v1/experiments", alice)},
		{"user/list-sort-score", get("/api/v1/experiments?sort=score", alice)},
		{"user/list-q", get("/api/v1/experiments?q=run-99", alice)},
		{"datasets/list", get("/api/v1/datasets")},
		{"experiment/get", get("/api/v1/experiments/ex_50001")},
		{"experiment/get-queued", get("/api/v1/experiments/ex_50000")},
		{"create", func() *http.Request {
			r, _ := http.NewRequest("POST", base+"/api/v1/experiments", bytes.NewReader([]byte(`{"dataset_id":"ds_3","target":"y","accuracy":1,"time":1}`)))
			r.Header.Set("Content-Type", "application/json")
			return r
		}},
		{"system-info", get("/api/v1/system/info")},
		{"user/system-info", get("/api/v1/system/info", alice)},
		{"health-api", get("/apis/health/v1")},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			var bytesRead int64
			for b.Loop() {
				start := time.Now()
				resp, err := hc.Do(c.req())
				if err != nil {
					b.Fatal(err)
				}
				n, _ := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				lat = append(lat, time.Since(start))
				if resp.StatusCode/100 != 2 {
					b.Fatalf("%s: status %d", c.name, resp.StatusCode)
				}
				bytesRead += n
			}
			slices.Sort(lat)
			pct := func(p float64) float64 {
				return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
			}
			b.ReportMetric(pct(0.50), "p50-ms")
			b.ReportMetric(pct(0.99), "p99-ms")
			b.ReportMetric(float64(bytesRead)/float64(len(lat)), "bytes/op")
			b.Logf("load %s", loadavg())
		})
	}
}

// loadavg is the first three fields of /proc/loadavg ("" elsewhere).
func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// createUser makes a user through the API and returns its token.
func createUser(b *testing.B, hc *http.Client, base, name string) string {
	b.Helper()
	resp, err := hc.Post(base+"/api/v1/users", "application/json", strings.NewReader(`{"name":"`+name+`"}`))
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ Token string }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusCreated {
		b.Fatalf("create user %s: %d %v", name, resp.StatusCode, err)
	}
	return out.Token
}

// fill writes a store of total experiments straight into SQLite (the
// schema of the migrations, rows as the server writes them): datasets
// ds_0..ds_{n-1}; experiments ex_1..ex_total on them, every tenth queued,
// the others succeeded with a summary of an 8-model leaderboard and a
// score and duration that vary; every fourth alice's, every hundredth high
// priority, every seventh tagged nightly, every thousandth rare.
func fill(b *testing.B, path string, total, datasets int) {
	b.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, path) // creates the schema (the server's own Open then gathers statistics)
	if err != nil {
		b.Fatal(err)
	}
	st.Close()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	lb := `[`
	for i := range 8 {
		if i > 0 {
			lb += ","
		}
		lb += fmt.Sprintf(`{"model":"gbm","params":{"learning_rate":"0.1","max_depth":"%d","n_estimators":"200"},"cv_score":0.8%d,"cv_std":0.01,"fit_seconds":1.5}`, i+2, i)
	}
	lb += `]`
	cols := `[{"name":"x","type":"numeric","missing":0,"distinct":100},{"name":"y","type":"categorical","missing":0,"distinct":2}]`
	stmts := []struct {
		q    string
		args []any
	}{
		{`WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i+1 FROM n WHERE i < ?)
		  INSERT INTO datasets(id, name, sha256, size, rows, columns, created_at, owner, shared, column_count)
		  SELECT 'ds_' || i, 'data' || i || '.csv', printf('%064d', i), 20000, 1000, ?, strftime('%Y-%m-%dT%H:%M:%fZ', '2026-01-01', '+' || i || ' seconds'), 'admin', 1, 2 FROM n`,
			[]any{datasets - 1, cols}},
		{`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < ?)
		  INSERT INTO experiments(id, spec, status, failure_kind, attempt, worker, worker_name, queue, owner, progress, message, summary, created_at, started_at, finished_at,
		    name, dataset_id, target, task, priority, best_score, duration, tags)
		  SELECT 'ex_' || i,
		    json_object('dataset_id', 'ds_' || (i % ?), 'name', 'run-' || i, 'target', 'y', 'task', 'auto', 'accuracy', 1, 'time', 1,
		      'priority', CASE WHEN i % 100 = 0 THEN 'high' ELSE 'normal' END),
		    CASE WHEN i % 10 = 0 THEN 'queued' ELSE 'succeeded' END, '',
		    CASE WHEN i % 10 = 0 THEN 0 ELSE 1 END, '', CASE WHEN i % 10 = 0 THEN '' ELSE 'w' || (i % 8) END, 'cpu',
		    CASE WHEN i % 4 = 0 THEN 'alice' ELSE 'admin' END, CASE WHEN i % 10 = 0 THEN 0 ELSE 1 END, '',
		    CASE WHEN i % 10 = 0 THEN NULL ELSE
		      '{"task":"binary","scorer":"auc","leaderboard":' || ? || ',"best":{"model":"gbm","params":{},"cv_score":' || (0.5 + (i % 997) / 2000.0) ||
		      ',"cv_std":0.01,"fit_seconds":1.5},"metrics":{"auc":0.87,"logloss":0.35},"rows":1000,"features":1}' END,
		    strftime('%Y-%m-%dT%H:%M:%fZ', '2026-01-02', '+' || i || ' seconds'),
		    CASE WHEN i % 10 = 0 THEN NULL ELSE strftime('%Y-%m-%dT%H:%M:%fZ', '2026-01-02', '+' || (i+1) || ' seconds') END,
		    CASE WHEN i % 10 = 0 THEN NULL ELSE strftime('%Y-%m-%dT%H:%M:%fZ', '2026-01-02', '+' || (i+1+(i % 613)) || ' seconds') END,
		    'run-' || i, 'ds_' || (i % ?), 'y', CASE WHEN i % 10 = 0 THEN 'auto' ELSE 'binary' END,
		    CASE WHEN i % 100 = 0 THEN 'high' ELSE 'normal' END,
		    CASE WHEN i % 10 = 0 THEN NULL ELSE 0.5 + (i % 997) / 2000.0 END,
		    CASE WHEN i % 10 = 0 THEN NULL ELSE (i % 613) END,
		    CASE WHEN i % 7 = 0 THEN '["nightly"]' WHEN i % 1000 = 1 THEN '["rare","nightly-2"]' ELSE '[]' END
		  FROM n`,
			[]any{total, datasets, lb, datasets}},
	}
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s.q, s.args...); err != nil {
			b.Fatalf("fill: %v", err)
		}
	}
}
