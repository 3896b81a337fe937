package server_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/drover-ml/drover/api"
)

// The same file uploaded twice by the same user under the same name is one
// dataset (the second upload answers it); another name or another user
// gets a row of its own. GET /api/v1/me says who asks and the highest
// priority they may use.
func TestSameUploadIsOneDatasetAndMe(t *testing.T) {
	cfg := newConfig(t)
	cfg.APIToken = "root-token-for-tests"
	h := start(t, cfg)
	ctx := context.Background()
	at, err := h.cl.CreateUser(ctx, "alice", false)
	if err != nil {
		t.Fatal(err)
	}
	alice := api.NewClient(h.srv.URL(), at.Token)
	first, err := alice.UploadDataset(ctx, examples("iris.csv"), nil)
	if err != nil {
		t.Fatal(err)
	}
	again, err := alice.UploadDataset(ctx, examples("iris.csv"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if again.ID != first.ID {
		t.Errorf("second upload of the same file is %s, want %s", again.ID, first.ID)
	}
	renamed := filepath.Join(t.TempDir(), "flowers.csv")
	b, err := os.ReadFile(examples("iris.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(renamed, b, 0o644); err != nil {
		t.Fatal(err)
	}
	other, err := alice.UploadDataset(ctx, renamed, nil)
	if err != nil {
		t.Fatal(err)
	}
	adminDS := h.upload(examples("iris.csv"))
	if other.ID == first.ID || adminDS.ID == first.ID || other.SHA256 != first.SHA256 {
		t.Errorf("another name (%s) or another user (%s) got alice's dataset %s", other.ID, adminDS.ID, first.ID)
	}
	list, err := alice.ListDatasets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 {
		t.Errorf("alice lists %d datasets, want 2 (iris.csv once, flowers.csv)", len(list))
	}

	me, err := alice.Me(ctx)
	if err != nil || me.Name != "alice" || me.Admin || me.MaxPriority != "normal" {
		t.Errorf("alice's me: %+v, %v", me, err)
	}
	if me, err := h.cl.Me(ctx); err != nil || me.Name != "admin" || !me.Admin || me.MaxPriority != "high" {
		t.Errorf("admin's me: %+v, %v", me, err)
	}
	high := "high"
	if _, err := h.cl.SetUserLimits(ctx, "alice", api.UserLimits{MaxPriority: &high}); err != nil {
		t.Fatal(err)
	}
	if me, err := alice.Me(ctx); err != nil || me.MaxPriority != "high" {
		t.Errorf("alice's me after max_priority high: %+v, %v", me, err)
	}
}
