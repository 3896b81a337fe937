package server_test

import (
	"context"
	"strings"
	"testing"

	"github.com/drover-ml/drover/api"
	"github.com/drover-ml/drover/internal/server"
)

func strp(s string) *string { return &s }

// PATCH renames and tags an experiment in any state (its owner or an
// admin; others get 404), bounds tags (count, length, charset), cleans
// names as upload names are cleaned, and records each change in the
// experiment's log with its actor.
func TestPatchExperiment(t *testing.T) {
	cfg := commandConfig(t)
	cfg.APIToken = "root-token-for-tests"
	h := start(t, cfg)
	ctx := context.Background()
	at, err := h.cl.CreateUser(ctx, "alice", false)
	if err != nil {
		t.Fatal(err)
	}
	bt, err := h.cl.CreateUser(ctx, "bob", false)
	if err != nil {
		t.Fatal(err)
	}
	alice, bob := api.NewClient(h.srv.URL(), at.Token), api.NewClient(h.srv.URL(), bt.Token)
	ds, err := alice.UploadDataset(ctx, examples("iris.csv"), nil)
	if err != nil {
		t.Fatal(err)
	}
	// A name with a bidi override and a control character, at create.
	e, err := alice.CreateExperiment(ctx, api.Spec{DatasetID: ds.ID, Command: "true", Name: "first\u202e\x07 try"})
	if err != nil {
		t.Fatal(err)
	}
	if e.Spec.Name != "first try" {
		t.Errorf("name at create %q, want the bidi and control characters removed", e.Spec.Name)
	}
	h.wait(e.ID)

	got, err := alice.RenameExperiment(ctx, e.ID, "  baseline \u2066v2\u2069  ")
	if err != nil || got.Spec.Name != "baseline v2" {
		t.Fatalf("rename: %+v %v", got, err)
	}
	long := strings.Repeat("é", server.MaxExperimentName) // 2 bytes each
	if got, err = alice.RenameExperiment(ctx, e.ID, long); err != nil || len(got.Spec.Name) != server.MaxExperimentName || !strings.HasPrefix(long, got.Spec.Name) {
		t.Fatalf("long name kept as %d bytes (%v), want cut at %d on a character boundary", len(got.Spec.Name), err, server.MaxExperimentName)
	}
	if _, err = alice.RenameExperiment(ctx, e.ID, "baseline v2"); err != nil {
		t.Fatal(err)
	}
	tags := []string{"prod", "team:ml", "prod", "v1.2"}
	if got, err = alice.PatchExperiment(ctx, e.ID, api.ExperimentPatch{Tags: &tags}); err != nil || strings.Join(got.Tags, ",") != "prod,team:ml,v1.2" {
		t.Fatalf("set tags: %v %v", got.Tags, err)
	}
	if got, err = alice.PatchExperiment(ctx, e.ID, api.ExperimentPatch{AddTags: []string{"new", "prod"}, RemoveTags: []string{"v1.2"}}); err != nil || strings.Join(got.Tags, ",") != "prod,team:ml,new" {
		t.Fatalf("add and remove: %v %v", got.Tags, err)
	}
	if again, err := alice.GetExperiment(ctx, e.ID); err != nil || strings.Join(again.Tags, ",") != "prod,team:ml,new" || again.Spec.Name != "baseline v2" {
		t.Fatalf("read back: %+v %v", again, err)
	}
	// Bounds: charset, count, length.
	for _, tc := range []struct {
		p     api.ExperimentPatch
		field string
	}{
		{api.ExperimentPatch{AddTags: []string{"ok", "has space"}}, "add_tags[1]"},
		{api.ExperimentPatch{AddTags: []string{"semi;colon"}}, "add_tags[0]"},
		{api.ExperimentPatch{RemoveTags: []string{""}}, "remove_tags[0]"},
		{api.ExperimentPatch{Tags: &[]string{"\u202e"}}, "tags[0]"},
	} {
		if _, err := alice.PatchExperiment(ctx, e.ID, tc.p); apiCode(err) != "bad_request" || err.(*api.Error).Field != tc.field {
			t.Errorf("patch %+v: %v, want bad_request on %s", tc.p, err, tc.field)
		}
	}
	many := make([]string, server.MaxTags+1)
	for i := range many {
		many[i] = "t" + strings.Repeat("x", i)
	}
	if _, err := alice.PatchExperiment(ctx, e.ID, api.ExperimentPatch{Tags: &many}); apiCode(err) != "bad_request" || err.(*api.Error).Field != "tags" {
		t.Errorf("%d tags: %v, want bad_request on tags", len(many), err)
	}
	longTag := []string{strings.Repeat("ü", server.MaxTagLen)}
	if got, err = alice.PatchExperiment(ctx, e.ID, api.ExperimentPatch{Tags: &longTag}); err != nil || len(got.Tags) != 1 || len(got.Tags[0]) != server.MaxTagLen {
		t.Errorf("long tag: %v %v, want one tag cut to %d bytes", got.Tags, err, server.MaxTagLen)
	}
	// Ownership: bob gets 404; the admin may.
	if _, err := bob.RenameExperiment(ctx, e.ID, "mine"); apiCode(err) != "not_found" {
		t.Errorf("bob renames alice's experiment: %v", err)
	}
	if got, err = h.cl.PatchExperiment(ctx, e.ID, api.ExperimentPatch{Tags: &[]string{}}); err != nil || len(got.Tags) != 0 {
		t.Errorf("admin clears the tags: %v %v", got, err)
	}
	if _, err := alice.PatchExperiment(ctx, "ex_nope", api.ExperimentPatch{Name: strp("x")}); apiCode(err) != "not_found" {
		t.Errorf("unknown experiment: %v", err)
	}
	// The log says who did what, as text and as a structured actor.
	evs, err := alice.Events(ctx, e.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		`renamed to "baseline v2" by alice`:        "alice",
		"tags set to prod, team:ml, v1.2 by alice": "alice",
		"tags cleared by admin":                    "admin",
	}
	for _, ev := range evs {
		if actor, ok := want[ev.Message]; ok {
			if ev.Actor != actor {
				t.Errorf("event %q has actor %q, want %q", ev.Message, ev.Actor, actor)
			}
			delete(want, ev.Message)
		}
	}
	if len(want) > 0 {
		t.Errorf("events missing: %v", want)
	}
	// A change to what is already there writes no event.
	n := len(evs)
	if _, err := alice.RenameExperiment(ctx, e.ID, "baseline v2"); err != nil {
		t.Fatal(err)
	}
	if evs, _ = alice.Events(ctx, e.ID, 0); len(evs) != n {
		t.Errorf("a rename to the same name added %d events", len(evs)-n)
	}
}
