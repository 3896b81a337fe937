package queue

import (
	"os"
	"regexp"
	"slices"
	"testing"
)

// The key catalog in keys.go and the key table of docs/queue.md name the
// same keys.
func TestKeysMatchDocs(t *testing.T) {
	k := keys{prefix: "P"}
	code := []string{
		k.seq(), k.pending(), k.pendingClass("<lane>"), k.classes(), k.exp("<id>"), k.urun(), k.sched(),
		k.leases(), k.workers(), k.worker("<wid>"), k.running("<wid>"), k.fails("<wid>"), k.names(),
		k.waiting(), k.wake("<wid>"), k.ctl("<wid>"), k.results(), k.events(), k.stats(),
	}
	doc, err := os.ReadFile("../../docs/queue.md")
	if err != nil {
		t.Fatal(err)
	}
	var documented []string
	for _, m := range regexp.MustCompile("(?m)^\\| `(P:[^`]*)` \\|").FindAllSubmatch(doc, -1) {
		documented = append(documented, string(m[1]))
	}
	slices.Sort(code)
	slices.Sort(documented)
	if !slices.Equal(code, documented) {
		t.Errorf("keys.go names %v\ndocs/queue.md's table names %v", code, documented)
	}
}
