package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/drover-ml/drover/api"
	"github.com/drover-ml/drover/internal/config"
	"github.com/drover-ml/drover/internal/runner"
	"github.com/drover-ml/drover/internal/server"
	"github.com/drover-ml/drover/internal/servertest"
)

// The test binary stands in for the drover binary in child processes.
func TestMain(m *testing.M) {
	runner.MaybeChild()
	goleak.VerifyTestMain(m)
}

func examples(name string) string { return servertest.Examples(name) }

type harness struct {
	t   *testing.T
	cfg *config.Config
	srv *server.Server
	cl  *api.Client
}

func newConfig(t *testing.T) *config.Config { return servertest.Config(t) }

// start runs a server on a free loopback port with cfg.
func start(t *testing.T, cfg *config.Config) *harness {
	t.Helper()
	srv := servertest.Start(t, cfg)
	return &harness{t: t, cfg: cfg, srv: srv, cl: api.NewClient(srv.URL(), cfg.APIToken)}
}

func (h *harness) upload(path string) *api.Dataset {
	h.t.Helper()
	ds, err := h.cl.UploadDataset(context.Background(), path, nil)
	if err != nil {
		h.t.Fatalf("upload %s: %v", path, err)
	}
	return ds
}

func (h *harness) create(spec api.Spec) *api.Experiment {
	h.t.Helper()
	e, err := h.cl.CreateExperiment(context.Background(), spec)
	if err != nil {
		h.t.Fatalf("create experiment: %v", err)
	}
	return e
}

// wait follows the experiment until it ends.
func (h *harness) wait(id string) *api.Experiment {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	e, err := h.cl.FollowEvents(ctx, id, 0, func(api.Event) error { return nil })
	if err != nil {
		h.t.Fatalf("follow %s: %v", id, err)
	}
	return e
}

// waitStatus polls until the experiment has status (used where no end comes).
func (h *harness) waitStatus(id, status string) *api.Experiment {
	h.t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		e, err := h.cl.GetExperiment(context.Background(), id)
		if err == nil && e.Status == status {
			return e
		}
		time.Sleep(50 * time.Millisecond)
	}
	e, _ := h.cl.GetExperiment(context.Background(), id)
	h.t.Fatalf("experiment %s never reached %s (last: %+v)", id, status, e)
	return nil
}

func apiCode(err error) string {
	var ae *api.Error
	if errors.As(err, &ae) {
		return ae.Code
	}
	return ""
}

func TestTrainPredictEndToEnd(t *testing.T) {
	h := start(t, newConfig(t))
	ds := h.upload(examples("pima_diabetes.csv"))
	if ds.Rows != 768 || len(ds.Columns) != 9 {
		t.Fatalf("dataset %d rows %d columns, want 768 and 9", ds.Rows, len(ds.Columns))
	}
	e := h.create(api.Spec{DatasetID: ds.ID, Target: "class", Accuracy: 1, Time: 1, Seed: 1})
	if e.Status != api.StatusQueued {
		t.Fatalf("new experiment is %s", e.Status)
	}
	e = h.wait(e.ID)
	if e.Status != api.StatusSucceeded {
		t.Fatalf("experiment %s: %+v", e.Status, e.Error)
	}
	if e.Summary == nil || e.Summary.Task != "binary" || e.Summary.Scorer != "auc" {
		t.Fatalf("summary %+v", e.Summary)
	}
	if auc := e.Summary.Best.CVScore; auc < 0.78 || auc > 0.9 {
		t.Fatalf("best CV AUC %.4f outside what pima allows (0.78..0.90)", auc)
	}
	if len(e.Summary.Leaderboard) < 2 {
		t.Fatalf("leaderboard has %d entries", len(e.Summary.Leaderboard))
	}
	evs, err := h.cl.Events(context.Background(), e.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	var progress, logs int
	for _, ev := range evs {
		switch ev.Type {
		case api.EventProgress:
			progress++
		case api.EventLog:
			logs++
		}
	}
	if progress == 0 || logs == 0 {
		t.Fatalf("events: %d progress, %d log; want some of each", progress, logs)
	}
	arts, err := h.cl.Artifacts(context.Background(), e.ID)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, a := range arts {
		names[a.Name] = true
		if a.Name == "experiment.log" && a.Size == 0 {
			t.Errorf("experiment.log is empty")
		}
	}
	for _, want := range []string{"model/model.json", "summary.json", "leaderboard.json", "plots.json", "predictions.csv", "experiment.log"} {
		if !names[want] {
			t.Fatalf("artifacts %v lack %s", names, want)
		}
	}
	f, err := os.Open(examples("pima_diabetes.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out bytes.Buffer
	if err := h.cl.Predict(context.Background(), e.ID, f, &out); err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(out.String(), "\n"); lines != 769 {
		t.Fatalf("predictions have %d lines, want 769 (header + 768)", lines)
	}
	checkExplained(t, h, e.ID, out.String())
	si, err := h.cl.SystemInfo(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if si.WorkerMode != "multiprocessing" || si.TotalProcessors != h.cfg.LocalProcessors() || len(si.Workers) != 1 {
		t.Fatalf("system info %+v", si)
	}
}

func TestBadUploads(t *testing.T) {
	h := start(t, newConfig(t))
	good := h.upload(examples("iris.csv"))
	dir := t.TempDir()
	cases := []struct {
		name, body, code string
	}{
		{"empty.csv", "", "empty_file"},
		{"header_only.csv", "a,b,c\n", "header_only"},
		{"ragged.csv", "a,b\n1,2\n3\n", "ragged_rows"},
		{"latin1.csv", "a,b\n1,caf\xe9\n", "invalid_utf8"},
		{"dup.csv", "a,a\n1,2\n3,4\n", "duplicate_column"},
		{"binary.png", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01", "not_csv"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, tc.name)
			os.WriteFile(p, []byte(tc.body), 0o644)
			_, err := h.cl.UploadDataset(context.Background(), p, nil)
			var ae *api.Error
			if !errors.As(err, &ae) || ae.Code != tc.code || ae.Status != http.StatusBadRequest {
				t.Fatalf("got %v, want 400 %s", err, tc.code)
			}
			if strings.Contains(ae.Message, "\n") || ae.Message == "" {
				t.Fatalf("message %q is not one line", ae.Message)
			}
		})
	}
	// The server still serves, and the earlier dataset is untouched.
	got, err := h.cl.GetDataset(context.Background(), good.ID)
	if err != nil || got.SHA256 != good.SHA256 || got.Rows != 150 {
		t.Fatalf("earlier dataset after bad uploads: %+v, %v", got, err)
	}
	list, _ := h.cl.ListDatasets(context.Background())
	if len(list) != 1 {
		t.Fatalf("%d datasets stored, want only the good one", len(list))
	}
}

func TestBadExperiments(t *testing.T) {
	h := start(t, newConfig(t))
	dir := t.TempDir()
	p := filepath.Join(dir, "odd.csv")
	os.WriteFile(p, []byte("x,const,empty,y\n1,5,,a\n2,5,,b\n3,5,,a\n4,5,,b\n"), 0o644)
	ds := h.upload(p)
	one := filepath.Join(dir, "one.csv")
	os.WriteFile(one, []byte("x,y\n1,a\n"), 0o644)
	oneRow := h.upload(one)
	cases := []struct {
		name string
		spec api.Spec
		code string
	}{
		{"no dataset", api.Spec{DatasetID: "ds_nope", Target: "y"}, "dataset_not_found"},
		{"target absent", api.Spec{DatasetID: ds.ID, Target: "label"}, "target_missing"},
		{"target constant", api.Spec{DatasetID: ds.ID, Target: "const"}, "target_constant"},
		{"target all missing", api.Spec{DatasetID: ds.ID, Target: "empty"}, "target_all_missing"},
		{"one data row", api.Spec{DatasetID: oneRow.ID, Target: "y"}, "too_few_rows"},
		{"unknown task", api.Spec{DatasetID: ds.ID, Target: "y", Task: "clustering"}, "unknown_task"},
		{"unknown scorer", api.Spec{DatasetID: ds.ID, Target: "y", Scorer: "gini"}, "unknown_scorer"},
		{"scorer for another task", api.Spec{DatasetID: ds.ID, Target: "y", Task: "binary", Scorer: "rmse"}, "scorer_task_mismatch"},
		{"dial too high", api.Spec{DatasetID: ds.ID, Target: "y", Accuracy: 11}, "dial_out_of_range"},
		{"dial negative", api.Spec{DatasetID: ds.ID, Target: "y", Time: -1}, "dial_out_of_range"},
		{"command not allowed", api.Spec{DatasetID: ds.ID, Command: "true"}, "command_not_allowed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := h.cl.CreateExperiment(context.Background(), tc.spec)
			if apiCode(err) != tc.code {
				t.Fatalf("got %v, want code %s", err, tc.code)
			}
		})
	}
	list, _ := h.cl.ListExperiments(context.Background(), "")
	if len(list) != 0 {
		t.Fatalf("%d experiments stored after bad requests, want 0", len(list))
	}
	// Unknown JSON fields are refused too.
	resp, err := http.Post(h.srv.URL()+"/api/v1/experiments", "application/json", strings.NewReader(`{"dataset_id":"x","targett":"y"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("unknown field: status %d", resp.StatusCode)
	}
}

func commandConfig(t *testing.T) *config.Config {
	cfg := newConfig(t)
	cfg.AllowCommandExperiments = true
	return cfg
}

func TestCancelRunningKillsTheGroup(t *testing.T) {
	h := start(t, commandConfig(t))
	ds := h.upload(examples("iris.csv"))
	pidFile := filepath.Join(t.TempDir(), "pid")
	e := h.create(api.Spec{DatasetID: ds.ID, Command: "sleep 120 & echo $! > " + pidFile + "; wait"})
	h.waitStatus(e.ID, api.StatusRunning)
	pid := waitPID(t, pidFile)
	got, err := h.cl.CancelExperiment(context.Background(), e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != api.StatusCancelled || got.FailureKind != api.FailureCancelled {
		t.Fatalf("after cancel: %s/%s", got.Status, got.FailureKind)
	}
	waitGone(t, pid)
	if _, err := h.cl.CancelExperiment(context.Background(), e.ID); apiCode(err) != "conflict" {
		t.Fatalf("second cancel: %v, want conflict", err)
	}
}

func TestCancelQueued(t *testing.T) {
	cfg := commandConfig(t)
	cfg.WorkerLocalProcessors = 1
	h := start(t, cfg)
	ds := h.upload(examples("iris.csv"))
	first := h.create(api.Spec{DatasetID: ds.ID, Command: "sleep 120"})
	h.waitStatus(first.ID, api.StatusRunning)
	second := h.create(api.Spec{DatasetID: ds.ID, Command: "true"})
	got, err := h.cl.GetExperiment(context.Background(), second.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != api.StatusQueued || got.QueuePosition != 1 || !strings.Contains(got.WaitReason, "processors busy") {
		t.Fatalf("queued experiment: status %s position %d reason %q", got.Status, got.QueuePosition, got.WaitReason)
	}
	if got, err = h.cl.CancelExperiment(context.Background(), second.ID); err != nil || got.Status != api.StatusCancelled {
		t.Fatalf("cancel queued: %+v %v", got, err)
	}
	h.cl.CancelExperiment(context.Background(), first.ID)
}

func TestChildKilledIsInfraAndRetried(t *testing.T) {
	cfg := commandConfig(t)
	cfg.MaxRetries = 1
	h := start(t, cfg)
	ds := h.upload(examples("iris.csv"))
	// The command kills its parent (the experiment process) with SIGKILL, as
	// the out-of-memory killer would, on every attempt.
	e := h.create(api.Spec{DatasetID: ds.ID, Command: "kill -9 $PPID; sleep 5"})
	e = h.wait(e.ID)
	if e.Status != api.StatusFailed || e.FailureKind != api.FailureInfra || e.Attempt != 2 {
		t.Fatalf("got %s/%s after %d attempts, want failed/infra after 2", e.Status, e.FailureKind, e.Attempt)
	}
	if e.Error == nil || e.Error.Code != "child_killed" {
		t.Fatalf("error %+v, want child_killed", e.Error)
	}
	// The server keeps serving.
	if err := h.cl.Healthz(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestUserFailureIsNotRetried(t *testing.T) {
	h := start(t, commandConfig(t))
	ds := h.upload(examples("iris.csv"))
	e := h.wait(h.create(api.Spec{DatasetID: ds.ID, Command: "echo broken recipe; exit 2"}).ID)
	if e.Status != api.StatusFailed || e.FailureKind != api.FailureUser || e.Attempt != 1 {
		t.Fatalf("got %s/%s attempt %d, want failed/user attempt 1", e.Status, e.FailureKind, e.Attempt)
	}
}

func TestRestartRequeuesOrFails(t *testing.T) {
	for _, tc := range []struct {
		name       string
		maxRetries int
		want       string
	}{{"requeued", 1, api.StatusSucceeded}, {"failed", 0, api.StatusFailed}} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := commandConfig(t)
			cfg.MaxRetries = tc.maxRetries
			h := start(t, cfg)
			ds := h.upload(examples("iris.csv"))
			marker := filepath.Join(t.TempDir(), "ran-once")
			// The first attempt hangs; a later attempt finishes at once.
			e := h.create(api.Spec{DatasetID: ds.ID, Command: "if [ -e " + marker + " ]; then exit 0; fi; touch " + marker + "; sleep 120"})
			h.waitStatus(e.ID, api.StatusRunning)
			waitFile(t, marker)
			h.srv.Stop()

			h2 := start(t, cfg)
			got := h2.wait(e.ID)
			if got.Status != tc.want {
				t.Fatalf("after restart: %s (%+v), want %s", got.Status, got.Error, tc.want)
			}
			if tc.want == api.StatusFailed && (got.FailureKind != api.FailureInfra || got.Error.Code != "server_restarted") {
				t.Fatalf("failure %s/%+v, want infra/server_restarted", got.FailureKind, got.Error)
			}
			if tc.want == api.StatusSucceeded && got.Attempt != 2 {
				t.Fatalf("attempt %d, want 2", got.Attempt)
			}
			// Datasets survive the restart too.
			if _, err := h2.cl.GetDataset(context.Background(), ds.ID); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestAPIToken(t *testing.T) {
	cfg := newConfig(t)
	cfg.APIToken = "s3cret-token-for-tests"
	h := start(t, cfg)
	anon := api.NewClient(h.srv.URL(), "")
	if _, err := anon.ListDatasets(context.Background()); apiCode(err) != "unauthorized" {
		t.Fatalf("no token: %v, want unauthorized", err)
	}
	wrong := api.NewClient(h.srv.URL(), "guess")
	if _, err := wrong.SystemInfo(context.Background()); apiCode(err) != "unauthorized" {
		t.Fatalf("wrong token: %v, want unauthorized", err)
	}
	if _, err := h.cl.ListDatasets(context.Background()); err != nil {
		t.Fatalf("right token: %v", err)
	}
	if err := anon.Healthz(context.Background()); err != nil {
		t.Fatalf("healthz needs no token: %v", err)
	}
}

func TestNamesCannotEscape(t *testing.T) {
	h := start(t, newConfig(t))
	req, _ := http.NewRequest(http.MethodPost, h.srv.URL()+"/api/v1/datasets?name=../../../../etc/passwd", strings.NewReader("a,b\n1,2\n3,4\n"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("status %d", resp.StatusCode)
	}
	list, _ := h.cl.ListDatasets(context.Background())
	if len(list) != 1 || list[0].Name != "passwd" {
		t.Fatalf("stored name %q, want the base name only", list[0].Name)
	}
	err = filepath.Walk(h.cfg.DataDirectory, func(p string, info os.FileInfo, err error) error {
		if err == nil && info.Name() == "passwd" {
			t.Errorf("a file named after the upload exists at %s", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	resp, err = http.Get(h.srv.URL() + "/api/v1/experiments/ex_x/artifacts/..%2F..%2Fdrover.db")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 == 2 {
		t.Fatalf("artifact escape answered %d", resp.StatusCode)
	}
}

func waitFile(t *testing.T, p string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(p); err == nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s never appeared", p)
}

// Finish stops the search and keeps the best model found so far.
func TestFinishKeepsBestSoFar(t *testing.T) {
	h := start(t, newConfig(t))
	ds := h.upload(examples("slid_wages.csv"))
	// The highest dials give a search of many minutes; Finish must end it.
	e := h.create(api.Spec{DatasetID: ds.ID, Target: "wages", Accuracy: 10, Time: 10})
	h.waitStatus(e.ID, api.StatusRunning)
	// Wait until the search has made some progress.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		cur, _ := h.cl.GetExperiment(context.Background(), e.ID)
		if cur.Progress > 0.01 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no progress: %+v", cur)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if _, err := h.cl.FinishExperiment(context.Background(), e.ID); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	final, err := h.cl.FollowEvents(ctx, e.ID, 0, func(api.Event) error { return nil })
	if err != nil {
		t.Fatalf("the experiment did not end within 90 s of Finish: %v", err)
	}
	if final.Status != api.StatusSucceeded || final.Summary == nil || len(final.Summary.Leaderboard) == 0 {
		t.Fatalf("after finish: %s, summary %+v", final.Status, final.Summary)
	}
	if _, err := h.cl.FinishExperiment(context.Background(), e.ID); apiCode(err) != "conflict" {
		t.Fatalf("finish of a finished experiment: %v, want conflict", err)
	}
	// The experiment process itself saw the request (not a search that
	// happened to end on its own).
	evs, _ := h.cl.Events(context.Background(), e.ID, 0)
	seen, asked := false, false
	for _, ev := range evs {
		seen = seen || strings.Contains(ev.Message, "finish requested: stopping the search")
		asked = asked || (ev.Message == "finish requested by admin" && ev.Actor == "admin")
	}
	if !seen {
		t.Fatalf("no event from the experiment process acknowledging the finish request")
	}
	if !asked {
		t.Errorf("no event saying who asked to finish, with its actor")
	}
}

// The product's health API keeps its field names: autoscalers read them.
func TestHealthAPIShape(t *testing.T) {
	h := start(t, commandConfig(t))
	ds := h.upload(examples("iris.csv"))
	e := h.create(api.Spec{DatasetID: ds.ID, Command: "sleep 30"})
	h.waitStatus(e.ID, api.StatusRunning)
	resp, err := http.Get(h.srv.URL() + "/apis/health/v1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"api_version", "server_version", "version", "application_id", "timestamp", "last_system_interaction", "is_idle", "active_users", "resources", "tasks", "utilization", "workers"} {
		if _, ok := body[k]; !ok {
			t.Errorf("health API lacks %q", k)
		}
	}
	tasks := body["tasks"].(map[string]any)
	for _, k := range []string{"running", "running_gpu", "running_cpu", "scheduled", "scheduled_on_gpu", "scheduled_on_cpu", "running_non_experiment", "demand_cpu", "demand_gpu"} {
		if _, ok := tasks[k]; !ok {
			t.Errorf("tasks lacks %q", k)
		}
	}
	if tasks["running"].(float64) != 1 || tasks["running_cpu"].(float64) != 1 || body["is_idle"].(bool) {
		t.Fatalf("tasks %v is_idle %v, want one CPU task running", tasks, body["is_idle"])
	}
	res := body["resources"].(map[string]any)
	for _, k := range []string{"cpu_cores", "gpus", "nodes"} {
		if _, ok := res[k]; !ok {
			t.Errorf("resources lacks %q", k)
		}
	}
	w := body["workers"].([]any)[0].(map[string]any)
	if body["active_users"].(float64) != 1 || body["api_version"] != "v1" {
		t.Errorf("active_users %v api_version %v", body["active_users"], body["api_version"])
	}
	if w["name"] != "local" || w["running_tasks"].(float64) != 1 || w["state"] != "active" {
		t.Fatalf("worker %v", w)
	}
	h.cl.CancelExperiment(context.Background(), e.ID)
}

// checkExplained asks for predictions with ?explain=true: the same
// prediction columns as plain, then one contribution per feature of pima
// and the bias; a bad explain value is a 400 naming it.
func checkExplained(t *testing.T, h *harness, id, plain string) {
	t.Helper()
	f, err := os.Open(examples("pima_diabetes.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out bytes.Buffer
	if err := h.cl.PredictExplained(context.Background(), id, f, &out); err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	want := strings.Split(strings.TrimSuffix(plain, "\n"), "\n")
	if len(got) != len(want) {
		t.Fatalf("explained predictions have %d lines, plain %d", len(got), len(want))
	}
	header := "predict,p.tested_negative,p.tested_positive,contrib.preg,contrib.plas,contrib.pres,contrib.skin," +
		"contrib.insu,contrib.mass,contrib.pedi,contrib.age,contrib.bias"
	if got[0] != header {
		t.Fatalf("header %q, want %q", got[0], header)
	}
	for i := 1; i < len(got); i++ {
		fields := strings.Split(got[i], ",")
		if strings.Join(fields[:3], ",") != want[i] || len(fields) != 12 {
			t.Fatalf("line %d: %q, plain %q", i, got[i], want[i])
		}
		for _, v := range fields[3:] {
			if _, err := strconv.ParseFloat(v, 64); err != nil {
				t.Fatalf("line %d: contribution %q: %v", i, v, err)
			}
		}
	}
	req, _ := http.NewRequest(http.MethodPost, h.cl.BaseURL+"/api/v1/experiments/"+id+"/predict?explain=maybe", strings.NewReader("preg\n1\n"))
	if h.cl.Token != "" {
		req.Header.Set("Authorization", "Bearer "+h.cl.Token)
	}
	resp, err := h.cl.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "explain") {
		t.Fatalf("explain=maybe: %d %s, want a 400 naming explain", resp.StatusCode, body)
	}
}

// recorder keeps the messages of warnings and errors a server logs.
type recorder struct {
	mu   sync.Mutex
	msgs []string
}

func (r *recorder) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }
func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	r.msgs = append(r.msgs, rec.Message)
	r.mu.Unlock()
	return nil
}
func (r *recorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *recorder) WithGroup(string) slog.Handler      { return r }
func (r *recorder) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.msgs...)
}

// Stop ends open event streams instead of waiting for them to time out:
// the stream of a running experiment closes, and no request had to be cut
// off at the shutdown deadline.
func TestStopEndsEventStreams(t *testing.T) {
	cfg := commandConfig(t)
	rec := &recorder{}
	srv, err := server.New(context.Background(), cfg, slog.New(rec))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Serve(context.Background(), ln); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	h := &harness{t: t, cfg: cfg, srv: srv, cl: api.NewClient(srv.URL(), cfg.APIToken)}
	ds := h.upload(examples("iris.csv"))
	e := h.create(api.Spec{DatasetID: ds.ID, Command: "sleep 120"})
	h.waitStatus(e.ID, api.StatusRunning)
	req, _ := http.NewRequest(http.MethodGet, srv.URL()+"/api/v1/experiments/"+e.ID+"/events", nil)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	if line, err := br.ReadString('\n'); err != nil || !strings.HasPrefix(line, "retry:") {
		t.Fatalf("stream starts with %q, %v", line, err)
	}
	stopped := make(chan struct{})
	go func() { srv.Stop(); close(stopped) }()
	rest, err := io.ReadAll(br) // returns once the server ends the stream
	if err != nil {
		t.Fatalf("stream ended with %v after %q", err, rest)
	}
	<-stopped
	for _, m := range rec.all() {
		if strings.Contains(m, "cut off") {
			t.Fatalf("Stop waited for the event stream until its deadline: %q", m)
		}
	}
}
