package server

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzCleanName: whatever an uploader calls a file, the stored name is valid
// UTF-8 of at most 200 bytes, holds no path separator, control or bidi
// control character, is its own cleaning (idempotent), and a name that was
// clean and short already is kept as it was.
func FuzzCleanName(f *testing.F) {
	for _, s := range []string{"iris.csv", "../../etc/passwd", "C:\\data\\x.csv", "report\u202Egpj.csv",
		"x" + strings.Repeat("é", 150), "\xff\xfe", "a\x00b", ".", "/", "..", "\u2066\u2069", "日本語.csv"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := cleanName(in)
		if !utf8.ValidString(out) || len(out) > 200 {
			t.Fatalf("cleanName(%q) = %q: invalid UTF-8 or over 200 bytes", in, out)
		}
		for _, r := range out {
			if r == '/' || r == '\\' || r < 0x20 || (r >= 0x7f && r < 0xa0) || isBidiControl(r) {
				t.Fatalf("cleanName(%q) = %q holds %U", in, out, r)
			}
		}
		if again := cleanName(out); again != out {
			t.Fatalf("cleanName is not idempotent: %q -> %q -> %q", in, out, again)
		}
		if out == "." || out == ".." {
			t.Fatalf("cleanName(%q) = %q", in, out)
		}
		clean := utf8.ValidString(in) && len(in) <= 200 && in != "." && in != ".." &&
			!strings.ContainsFunc(in, func(r rune) bool {
				return r == '/' || r == '\\' || r < 0x20 || (r >= 0x7f && r < 0xa0) || isBidiControl(r)
			})
		if clean && out != in {
			t.Fatalf("cleanName changed the clean name %q to %q", in, out)
		}
	})
}
