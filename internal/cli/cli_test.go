package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drover-ml/drover/api"
	"github.com/drover-ml/drover/internal/runner"
	"github.com/drover-ml/drover/internal/servertest"
)

// The test binary stands in for the drover binary in experiment processes.
func TestMain(m *testing.M) {
	runner.MaybeChild()
	os.Exit(m.Run())
}

func examples(name string) string { return servertest.Examples(name) }

// drover runs the CLI in-process and returns its exit code and output.
func drover(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestTrainAndPredict(t *testing.T) {
	dir := t.TempDir()
	code, out, errs := drover(t, "train", "--data", examples("pima_diabetes.csv"), "--target", "class", "--time", "1", "--seed", "7", "--out", dir, "--json")
	if code != ExitOK {
		t.Fatalf("train exit %d: %s", code, errs)
	}
	var sum api.Summary
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatalf("train --json output is not JSON: %v\n%s", err, out)
	}
	if sum.Task != "binary" || sum.Scorer != "auc" || len(sum.Leaderboard) == 0 || sum.Best.Model == "" {
		t.Fatalf("summary %+v", sum)
	}
	if sum.Best.CVScore < 0.78 {
		t.Fatalf("best CV AUC %.4f is below what pima allows", sum.Best.CVScore)
	}
	for _, e := range append(sum.Leaderboard, sum.Best) {
		if e.Params == nil || e.FitSeconds < 0 {
			t.Fatalf("leaderboard entry %+v lacks params or fit time", e)
		}
	}
	pred := filepath.Join(dir, "pred.csv")
	code, _, errs = drover(t, "predict", "--model", filepath.Join(dir, "model"), "--data", examples("pima_diabetes.csv"), "--out", pred)
	if code != ExitOK {
		t.Fatalf("predict exit %d: %s", code, errs)
	}
	b, _ := os.ReadFile(pred)
	if n := strings.Count(string(b), "\n"); n != 769 {
		t.Fatalf("predictions have %d lines, want 769", n)
	}
}

func TestOneModelFit(t *testing.T) {
	code, out, errs := drover(t, "train", "--data", examples("pima_diabetes.csv"), "--target", "class",
		"--models", "gbm", "--params", "n_estimators=50,max_depth=3,learning_rate=0.1", "--folds", "0", "--threads", "2", "--json")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var sum api.Summary
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatal(err)
	}
	if len(sum.Leaderboard) != 1 || sum.Best.Model != "gbm" || sum.Best.Params["n_estimators"] != "50" {
		t.Fatalf("want exactly the one gbm with the given params, got %+v", sum.Leaderboard)
	}
}

func TestTrainBadInput(t *testing.T) {
	dir := t.TempDir()
	ragged := filepath.Join(dir, "ragged.csv")
	os.WriteFile(ragged, []byte("a,b\n1,2\n3\n"), 0o644)
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"missing target column", []string{"train", "--data", examples("iris.csv"), "--target", "nope"}, ExitError, "target_missing"},
		{"ragged rows", []string{"train", "--data", ragged, "--target", "b"}, ExitError, "ragged_rows"},
		{"unknown task", []string{"train", "--data", examples("iris.csv"), "--target", "species", "--task", "ranking"}, ExitError, "unknown_task"},
		{"dial out of range", []string{"train", "--data", examples("iris.csv"), "--target", "species", "--accuracy", "12"}, ExitError, "dial_out_of_range"},
		{"no data flag", []string{"train", "--target", "x"}, ExitUsage, "needs --data"},
		{"unknown flag", []string{"train", "--colour", "red"}, ExitUsage, "unknown flag"},
		{"missing file", []string{"train", "--data", filepath.Join(dir, "none.csv"), "--target", "x"}, ExitError, "none.csv"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := drover(t, tc.args...)
			if code != tc.code || !strings.Contains(errs, tc.want) {
				t.Fatalf("exit %d, stderr %q; want exit %d mentioning %q", code, errs, tc.code, tc.want)
			}
			if strings.Count(strings.TrimSpace(errs), "\n") != 0 {
				t.Fatalf("error is not one line: %q", errs)
			}
		})
	}
}

func startServer(t *testing.T) string {
	return servertest.Start(t, servertest.Config(t)).URL()
}

func TestServerWalkthrough(t *testing.T) {
	url := startServer(t)
	s := []string{"--server", url}
	code, out, errs := drover(t, append(s, "dataset", "upload", examples("pima_diabetes.csv"), "--json")...)
	if code != ExitOK {
		t.Fatalf("upload: %d %s", code, errs)
	}
	var ds api.Dataset
	json.Unmarshal([]byte(out), &ds)
	code, out, errs = drover(t, append(s, "experiment", "create", "--dataset", ds.ID, "--target", "class", "--time", "1", "--accuracy", "1", "--wait", "--json")...)
	if code != ExitOK {
		t.Fatalf("create --wait: %d %s", code, errs)
	}
	var e api.Experiment
	if err := json.Unmarshal([]byte(out), &e); err != nil || e.Status != api.StatusSucceeded {
		t.Fatalf("create --wait printed %q (%v)", out, err)
	}
	dir := t.TempDir()
	if code, _, errs = drover(t, append(s, "experiment", "download", e.ID, "--out", dir)...); code != ExitOK {
		t.Fatalf("download: %d %s", code, errs)
	}
	pred := filepath.Join(dir, "pred.csv")
	if code, _, errs = drover(t, "predict", "--model", filepath.Join(dir, "model"), "--data", examples("pima_diabetes.csv"), "--out", pred); code != ExitOK {
		t.Fatalf("predict with the downloaded model: %d %s", code, errs)
	}
	code, out, _ = drover(t, append(s, "system", "info", "--json")...)
	var si api.SystemInfo
	if code != ExitOK || json.Unmarshal([]byte(out), &si) != nil || si.TotalProcessors < 1 || si.WorkerMode != "multiprocessing" {
		t.Fatalf("system info: %d %s", code, out)
	}
	code, out, _ = drover(t, append(s, "system", "info")...)
	if code != ExitOK || !strings.Contains(out, "processors") {
		t.Fatalf("system info table: %s", out)
	}
	for _, args := range [][]string{{"experiment", "list"}, {"experiment", "show", e.ID}, {"experiment", "logs", e.ID}, {"dataset", "list"}} {
		if code, out, errs = drover(t, append(s, args...)...); code != ExitOK || out == "" {
			t.Fatalf("%v: exit %d, %q %q", args, code, out, errs)
		}
	}
	if code, _, errs = drover(t, append(s, "experiment", "list", "--tag", "not ok")...); code != ExitError || !strings.Contains(errs, "tag") {
		t.Fatalf("list --tag with a bad tag: exit %d %q", code, errs)
	}
	if code, out, errs = drover(t, append(s, "experiment", "list", "--tag", "none-has-it", "--json")...); code != ExitOK || strings.Contains(out, e.ID) {
		t.Fatalf("list --tag none-has-it: exit %d %q %q", code, out, errs)
	}
	// A failing experiment makes --wait exit non-zero.
	bad := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(bad, []byte("x,y\n1,a\n2,b\n3,a\n"), 0o644)
	if code, out, errs = drover(t, append(s, "dataset", "upload", bad, "--json")...); code != ExitOK {
		t.Fatalf("upload: exit %d %q", code, errs)
	}
	json.Unmarshal([]byte(out), &ds)
	if code, _, errs = drover(t, append(s, "experiment", "create", "--dataset", ds.ID, "--target", "missing")...); code != ExitError || !strings.Contains(errs, "target_missing") {
		t.Fatalf("bad target: exit %d %q", code, errs)
	}
	if code, _, errs = drover(t, append(s, "experiment", "show", "ex_nope")...); code != ExitError || !strings.Contains(errs, "not_found") {
		t.Fatalf("unknown experiment: exit %d %q", code, errs)
	}
}

func TestUnreachableServer(t *testing.T) {
	code, _, errs := drover(t, "--server", "http://127.0.0.1:1", "system", "info")
	if code != ExitError || !strings.Contains(errs, "cannot reach the drover server") {
		t.Fatalf("exit %d %q", code, errs)
	}
}

func TestConfigCommands(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.toml")
	os.WriteFile(good, []byte("main_server_redis_password = \"hunter22\"\nredis_port = 6380\n"), 0o644)
	code, out, errs := drover(t, "config", "show", "--config", good)
	if code != ExitOK || strings.Contains(out, "hunter22") || !strings.Contains(out, "6380") {
		t.Fatalf("config show: %d %q %q", code, out, errs)
	}
	bad := filepath.Join(dir, "bad.toml")
	os.WriteFile(bad, []byte("redis_prot = 6380\n"), 0o644)
	code, _, errs = drover(t, "config", "check", "--config", bad)
	if code != ExitError || !strings.Contains(errs, "bad.toml:1") || !strings.Contains(errs, "redis_prot") {
		t.Fatalf("config check of a bad file: %d %q", code, errs)
	}
	dask := filepath.Join(dir, "dask.toml")
	os.WriteFile(dask, []byte("enable_dask_cluster = true\n"), 0o644)
	if code, _, errs = drover(t, "config", "check", "--config", dask); code != ExitError || !strings.Contains(strings.ToLower(errs), "dask") {
		t.Fatalf("dask: %d %q", code, errs)
	}
	if code, _, errs = drover(t, "config", "check", "--config", filepath.Join(dir, "absent.toml")); code != ExitError {
		t.Fatalf("missing explicit file: %d %q", code, errs)
	}
	// A misspelt override is reported, with the key it probably meant.
	t.Setenv("DROVER_REDIS_PROT", "6380")
	code, out, errs = drover(t, "config", "check", "--config", good)
	if code != ExitOK || !strings.Contains(errs, "warning: DROVER_REDIS_PROT names no key and is ignored (did you mean DROVER_REDIS_PORT?)") {
		t.Fatalf("config check with DROVER_REDIS_PROT: %d %q %q", code, out, errs)
	}
	// TLS files are read: a missing certificate fails the check, naming the key.
	t.Setenv("DROVER_TLS_CERT_FILE", filepath.Join(dir, "absent.crt"))
	t.Setenv("DROVER_TLS_KEY_FILE", filepath.Join(dir, "absent.key"))
	if code, _, errs = drover(t, "config", "check", "--config", good); code != ExitError || !strings.Contains(errs, "tls_cert_file: cannot read") {
		t.Fatalf("config check with a missing tls_cert_file: %d %q", code, errs)
	}
	if code, out, _ = drover(t, "version"); code != ExitOK || !strings.HasPrefix(out, "drover ") {
		t.Fatalf("version: %d %q", code, out)
	}
}
