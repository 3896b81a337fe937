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

func TestRenameAndTagCommands(t *testing.T) {
	cfg := servertest.Config(t)
	cfg.AllowCommandExperiments = true
	s := []string{"--server", servertest.Start(t, cfg).URL()}
	_, out, _ := drover(t, append(s, "dataset", "upload", examples("iris.csv"), "--json")...)
	var ds api.Dataset
	json.Unmarshal([]byte(out), &ds)
	_, out, _ = drover(t, append(s, "experiment", "create", "--dataset", ds.ID, "--command", "true", "--json")...)
	var e api.Experiment
	json.Unmarshal([]byte(out), &e)
	if code, out, errs := drover(t, append(s, "experiment", "rename", e.ID, "first run")...); code != ExitOK || out != e.ID+" renamed to \"first run\"\n" {
		t.Fatalf("rename: %d %q %q", code, out, errs)
	}
	if code, out, errs := drover(t, append(s, "experiment", "tag", e.ID, "a", "b", "c")...); code != ExitOK || out != e.ID+" tags: a b c\n" {
		t.Fatalf("tag: %d %q %q", code, out, errs)
	}
	if code, out, errs := drover(t, append(s, "experiment", "tag", "--remove", e.ID, "b")...); code != ExitOK || out != e.ID+" tags: a c\n" {
		t.Fatalf("tag --remove: %d %q %q", code, out, errs)
	}
	code, out, errs := drover(t, append(s, "experiment", "tag", "--set", e.ID, "z", "--json")...)
	var got api.Experiment
	if code != ExitOK || json.Unmarshal([]byte(out), &got) != nil || strings.Join(got.Tags, ",") != "z" || got.Spec.Name != "first run" {
		t.Fatalf("tag --set --json: %d %q %q", code, out, errs)
	}
	if code, out, _ := drover(t, append(s, "experiment", "show", e.ID)...); code != ExitOK || !strings.Contains(out, "name first run   tags z") {
		t.Fatalf("show: %d %q", code, out)
	}
	if code, _, errs := drover(t, append(s, "experiment", "tag", e.ID, "bad tag")...); code != ExitError || !strings.Contains(errs, "bad_request") {
		t.Fatalf("bad tag: %d %q", code, errs)
	}
	if code, _, _ := drover(t, append(s, "experiment", "tag", e.ID)...); code != ExitUsage {
		t.Fatalf("tag without tags: exit %d, want %d", code, ExitUsage)
	}
}
