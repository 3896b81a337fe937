package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drover-ml/drover/api"
	"github.com/drover-ml/drover/internal/server"
)

// Two users see and act on their own datasets and experiments only; others'
// answer 404; a shared dataset is usable by all; the admin (api_token) sees
// everything; tokens can be revoked and rotated; events say who acted.
func TestUsersOwnership(t *testing.T) {
	cfg := commandConfig(t)
	cfg.APIToken = "root-token-for-tests"
	h := start(t, cfg)
	ctx := context.Background()
	admin := h.cl
	at, err := admin.CreateUser(ctx, "alice", false)
	if err != nil || !strings.HasPrefix(at.Token, "drv_") {
		t.Fatalf("create alice: %+v %v", at, err)
	}
	bt, err := admin.CreateUser(ctx, "bob", false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CreateUser(ctx, "bob", false); apiCode(err) != "conflict" {
		t.Fatalf("second bob: %v", err)
	}
	if _, err := admin.CreateUser(ctx, "Bad Name", false); apiCode(err) != "bad_request" {
		t.Fatalf("bad name: %v", err)
	}
	alice, bob := api.NewClient(h.srv.URL(), at.Token), api.NewClient(h.srv.URL(), bt.Token)
	if _, err := alice.CreateUser(ctx, "mallory", true); apiCode(err) != "forbidden" {
		t.Fatalf("user created by a non-admin: %v", err)
	}
	ds, err := alice.UploadDataset(ctx, examples("iris.csv"), nil)
	if err != nil || ds.Owner != "alice" {
		t.Fatalf("alice's upload: %+v %v", ds, err)
	}
	dir := t.TempDir()
	gate := "while [ ! -f " + filepath.Join(dir, "go") + " ]; do sleep 0.05; done"
	e, err := alice.CreateExperiment(ctx, api.Spec{DatasetID: ds.ID, Command: gate})
	if err != nil || e.Owner != "alice" {
		t.Fatalf("alice's experiment: %+v %v", e, err)
	}
	h.waitStatus(e.ID, api.StatusRunning)

	// bob sees none of it
	if _, err := bob.GetExperiment(ctx, e.ID); apiCode(err) != "not_found" {
		t.Errorf("bob reads alice's experiment: %v", err)
	}
	if _, err := bob.CancelExperiment(ctx, e.ID); apiCode(err) != "not_found" {
		t.Errorf("bob cancels alice's experiment: %v", err)
	}
	if _, err := bob.Events(ctx, e.ID, 0); apiCode(err) != "not_found" {
		t.Errorf("bob reads alice's events: %v", err)
	}
	if l, err := bob.ListExperiments(ctx, ""); err != nil || len(l) != 0 {
		t.Errorf("bob's experiment list: %d %v", len(l), err)
	}
	if _, err := bob.GetDataset(ctx, ds.ID); apiCode(err) != "not_found" {
		t.Errorf("bob reads alice's dataset: %v", err)
	}
	if l, err := bob.ListDatasets(ctx); err != nil || len(l) != 0 {
		t.Errorf("bob's dataset list: %d %v", len(l), err)
	}
	if _, err := bob.CreateExperiment(ctx, api.Spec{DatasetID: ds.ID, Command: "true"}); apiCode(err) != "dataset_not_found" {
		t.Errorf("bob uses alice's dataset: %v", err)
	}
	if _, err := bob.ShareDataset(ctx, ds.ID); apiCode(err) != "not_found" {
		t.Errorf("bob shares alice's dataset: %v", err)
	}
	// System Info: bob sees the load, not alice's experiment id
	si, err := bob.SystemInfo(ctx)
	if err != nil || len(si.Workers) != 1 || len(si.Workers[0].Running) != 0 || si.Workers[0].RunningOthers != 1 || si.BusyProcessors != 1 {
		t.Errorf("bob's system info: %+v %v", si, err)
	}
	// shared: bob may use it
	if _, err := alice.ShareDataset(ctx, ds.ID); err != nil {
		t.Fatal(err)
	}
	be, err := bob.CreateExperiment(ctx, api.Spec{DatasetID: ds.ID, Command: "true"})
	if err != nil {
		t.Fatalf("bob uses the shared dataset: %v", err)
	}
	if _, err := bob.CreateExperiment(ctx, api.Spec{DatasetID: ds.ID, Command: "true", Priority: "high"}); apiCode(err) != "forbidden" {
		t.Errorf("bob asks for high: %v", err)
	}
	hi := "high"
	if _, err := admin.SetUserLimits(ctx, "bob", api.UserLimits{MaxPriority: &hi}); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.CreateExperiment(ctx, api.Spec{DatasetID: ds.ID, Command: "true", Priority: "high"}); err != nil {
		t.Errorf("bob with max_priority high: %v", err)
	}
	// the admin sees both users' experiments
	if l, err := admin.ListExperiments(ctx, ""); err != nil || len(l) != 3 {
		t.Errorf("admin's list: %d %v", len(l), err)
	}
	if l, err := alice.ListExperiments(ctx, ""); err != nil || len(l) != 1 {
		t.Errorf("alice's list: %d %v", len(l), err)
	}
	// events say who
	if _, err := alice.CancelExperiment(ctx, e.ID); err != nil {
		t.Fatal(err)
	}
	evs, err := alice.Events(ctx, e.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for _, ev := range evs {
		msgs = append(msgs, ev.Message)
		if ev.Error != nil {
			msgs = append(msgs, ev.Error.Message)
		}
	}
	all := strings.Join(msgs, "|")
	if !strings.Contains(all, "queued by alice") || !strings.Contains(all, "cancelled by alice") {
		t.Errorf("events do not say who: %s", all)
	}
	h.wait(be.ID)
	// password, revoke, rotate
	if _, err := bob.SetPassword(ctx, "bob", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.SetPassword(ctx, "alice", "correct horse battery"); apiCode(err) != "not_found" {
		t.Errorf("bob sets alice's password: %v", err)
	}
	users, err := admin.ListUsers(ctx)
	if err != nil || len(users) != 2 || !users[1].HasPassword || users[0].HasPassword {
		t.Errorf("users: %+v %v", users, err)
	}
	if _, err := admin.RevokeUser(ctx, "bob"); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.ListExperiments(ctx, ""); apiCode(err) != "unauthorized" {
		t.Errorf("revoked bob: %v", err)
	}
	nt, err := admin.RotateToken(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := alice.ListExperiments(ctx, ""); apiCode(err) != "unauthorized" {
		t.Errorf("alice's old token after rotation: %v", err)
	}
	if _, err := api.NewClient(h.srv.URL(), nt.Token).ListExperiments(ctx, ""); err != nil {
		t.Errorf("alice's new token: %v", err)
	}
}

// The web UI logs in with a user's token: the cookie then acts as that user.
func TestUILoginWithUserToken(t *testing.T) {
	cfg := commandConfig(t)
	cfg.APIToken = "root-token-for-tests"
	h := start(t, cfg)
	ctx := context.Background()
	tok, err := h.cl.CreateUser(ctx, "carol", false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.cl.UploadDataset(ctx, examples("iris.csv"), nil); err != nil {
		t.Fatal(err)
	}
	body := strings.NewReader(`{"token": "` + tok.Token + `"}`)
	req, _ := http.NewRequest(http.MethodPost, h.srv.URL()+"/login", body)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Origin", h.srv.URL())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == server.TokenCookie {
			cookie = c
		}
	}
	if resp.StatusCode/100 != 2 || cookie == nil {
		t.Fatalf("login with carol's token: %s, cookie %v", resp.Status, cookie)
	}
	req, _ = http.NewRequest(http.MethodGet, h.srv.URL()+"/api/v1/datasets", nil)
	req.AddCookie(cookie)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var page api.DatasetPage
	err = json.NewDecoder(resp.Body).Decode(&page)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || len(page.Items) != 0 {
		t.Fatalf("carol's datasets through the cookie: %s %d %v (the admin's must not show)", resp.Status, len(page.Items), err)
	}
}
