package server_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/drover-ml/drover/api"
)

// A command experiment prints its environment: none of the server's
// secrets (config or DROVER_* variables) may show up in its log or events.
func TestChildrenGetNoSecrets(t *testing.T) {
	const token = "tok-secret-3b9f1c77d2e0a6"
	t.Setenv("DROVER_API_TOKEN", token)
	t.Setenv("DROVER_MAIN_SERVER_REDIS_PASSWORD", "redis-pw-5e1d")
	t.Setenv("DROVER_MAIN_SERVER_MINIO_SECRET_ACCESS_KEY", "minio-secret-77aa")
	t.Setenv("DROVER_WEBHOOK_TOKEN", "webhook-tok-9c")
	t.Setenv("DROVER_HARMLESS_SETTING", "visible-42")
	cfg := newConfig(t)
	cfg.APIToken = token
	cfg.AllowCommandExperiments = true
	h := start(t, cfg)
	ds := h.upload(examples("iris.csv"))
	e := h.wait(h.create(api.Spec{DatasetID: ds.ID, Command: "env; env >&2"}).ID)
	if e.Status != api.StatusSucceeded {
		t.Fatalf("env experiment %s: %+v", e.Status, e.Error)
	}
	ctx := context.Background()
	var log bytes.Buffer
	if err := h.cl.DownloadArtifact(ctx, e.ID, "experiment.log", &log); err != nil {
		t.Fatal(err)
	}
	evs, err := h.cl.Events(ctx, e.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	var events strings.Builder
	for _, ev := range evs {
		events.WriteString(ev.Message + "\n")
	}
	for what, text := range map[string]string{"experiment.log": log.String(), "events": events.String()} {
		if !strings.Contains(text, "DROVER_EXPERIMENT_ID="+e.ID) || !strings.Contains(text, "visible-42") {
			t.Errorf("%s does not show the environment at all:\n%s", what, text)
		}
		for _, secret := range []string{token, "redis-pw-5e1d", "minio-secret-77aa", "webhook-tok-9c", "DROVER_API_TOKEN"} {
			if strings.Contains(text, secret) {
				t.Errorf("%s carries the secret %q", what, secret)
			}
		}
	}
	h.stillServing()
}
