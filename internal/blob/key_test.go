package blob

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func TestValidateKey(t *testing.T) {
	cases := []struct {
		key string
		ok  bool
	}{
		{"datasets/sha256/" + strings.Repeat("a", 64), true},
		{"artifacts/e1/attempt-3/model.json", true},
		{"a", true},
		{"A-Z_0.9/x", true},
		{"a.b.c", true},
		{"", false},
		{"/etc/passwd", false},
		{"..", false},
		{".", false},
		{"../x", false},
		{"a/../b", false},
		{"a/..", false},
		{"a/./b", false},
		{"a//b", false},
		{"a/", false},
		{".hidden", false},
		{"a/.put-123", false},
		{`a\b`, false},
		{"a b", false},
		{"a\x00b", false},
		{"é", false},
		{"C:/x", false},
		{"a%2e%2e", false},
		{strings.Repeat("a", MaxKeyLen), true},
		{strings.Repeat("a", MaxKeyLen+1), false},
	}
	for _, c := range cases {
		err := ValidateKey(c.key)
		if (err == nil) != c.ok {
			t.Errorf("ValidateKey(%q) = %v, want ok=%v", c.key, err, c.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalidKey) {
			t.Errorf("ValidateKey(%q) = %v, not ErrInvalidKey", c.key, err)
		}
	}
}

func TestKeys(t *testing.T) {
	sum := strings.Repeat("0f", 32)
	if got := DatasetKey(sum); got != "datasets/sha256/"+sum || ValidateKey(got) != nil {
		t.Errorf("DatasetKey = %q", got)
	}
	if got := ArtifactKey("exp-1", 2, "models/best.json"); got != "artifacts/exp-1/attempt-2/models/best.json" {
		t.Errorf("ArtifactKey = %q", got)
	}
	if ValidateKey(ArtifactKey("e", 1, "../../x")) == nil {
		t.Error("ArtifactKey with an escaping name passed validation")
	}
	if !ValidSHA256(sum) || ValidSHA256(strings.ToUpper(sum)) || ValidSHA256(sum[1:]) {
		t.Error("ValidSHA256 wrong")
	}
}

func TestValidatePrefix(t *testing.T) {
	for _, p := range []string{"", "a", "a/", "datasets/sha256/ab"} {
		if err := ValidatePrefix(p); err != nil {
			t.Errorf("ValidatePrefix(%q) = %v", p, err)
		}
	}
	for _, p := range []string{"/", "../", "a//", "/a"} {
		if ValidatePrefix(p) == nil {
			t.Errorf("ValidatePrefix(%q) accepted", p)
		}
	}
}

// FuzzValidateKey checks the promise of ValidateKey: a valid key joined to a
// directory names a path strictly inside it.
func FuzzValidateKey(f *testing.F) {
	for _, s := range []string{"a/b", "../a", "a/../b", "/x", "a//b", ".", "a/.b", "datasets/sha256/ff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		if ValidateKey(key) != nil {
			return
		}
		const root = "/data/root"
		p := filepath.Join(root, filepath.FromSlash(key))
		rel, err := filepath.Rel(root, p)
		if err != nil || rel == "." || strings.HasPrefix(rel, "..") || filepath.IsAbs(rel) {
			t.Fatalf("valid key %q escapes: %q", key, p)
		}
		if filepath.ToSlash(rel) != key {
			t.Fatalf("valid key %q is not canonical: cleans to %q", key, rel)
		}
	})
}
