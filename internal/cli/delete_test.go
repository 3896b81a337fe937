package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/drover-ml/drover/api"
	"github.com/drover-ml/drover/internal/servertest"
)

func TestDeleteCommands(t *testing.T) {
	cfg := servertest.Config(t)
	cfg.AllowCommandExperiments = true
	s := []string{"--server", servertest.Start(t, cfg).URL()}
	code, out, errs := drover(t, append(s, "dataset", "upload", examples("iris.csv"), "--json")...)
	if code != ExitOK {
		t.Fatalf("upload: %d %s", code, errs)
	}
	var ds api.Dataset
	json.Unmarshal([]byte(out), &ds)
	code, out, errs = drover(t, append(s, "experiment", "create", "--dataset", ds.ID, "--command", "true", "--wait", "--json")...)
	var e api.Experiment
	if code != ExitOK || json.Unmarshal([]byte(out), &e) != nil {
		t.Fatalf("create: %d %s %s", code, out, errs)
	}
	if code, out, errs = drover(t, append(s, "experiment", "delete", e.ID)...); code != ExitOK || out != e.ID+" deleted\n" {
		t.Fatalf("experiment delete: %d %q %q", code, out, errs)
	}
	code, out, errs = drover(t, append(s, "dataset", "delete", ds.ID, "--json")...)
	var d struct {
		ID      string `json:"id"`
		Deleted bool   `json:"deleted"`
	}
	if code != ExitOK || json.Unmarshal([]byte(out), &d) != nil || d.ID != ds.ID || !d.Deleted {
		t.Fatalf("dataset delete --json: %d %q %q", code, out, errs)
	}
	if code, _, errs = drover(t, append(s, "dataset", "delete", ds.ID)...); code != ExitError || !strings.Contains(errs, "not_found") {
		t.Fatalf("second dataset delete: %d %q", code, errs)
	}
	if code, _, _ = drover(t, append(s, "experiment", "delete")...); code == ExitOK {
		t.Fatalf("delete without an id: exit %d", code)
	}
}
