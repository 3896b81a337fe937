package server

import (
	"net/url"
	"strings"
	"testing"
)

// browserResolve is how a browser reads a Location value on a page of
// base: it drops ASCII tab and newline, trims C0 controls and spaces, and
// reads "\" as "/" (WHATWG URL parsing for http(s)).
func browserResolve(base *url.URL, loc string) (*url.URL, error) {
	loc = strings.Map(func(r rune) rune {
		switch r {
		case '\t', '\n', '\r':
			return -1
		case '\\':
			return '/'
		}
		return r
	}, loc)
	loc = strings.TrimFunc(loc, func(r rune) bool { return r <= ' ' })
	ref, err := url.Parse(loc)
	if err != nil {
		return nil, err
	}
	return base.ResolveReference(ref), nil
}

// FuzzSafeNext: whatever next the login form gets, a value safeNext
// accepts sends the browser to this server only.
func FuzzSafeNext(f *testing.F) {
	for _, seed := range []string{
		"/", "/experiments", "/experiments?x=1#y", "//evil.example", "/\\evil.example", "/%09/evil.example",
		"/\t/evil.example", "\t//evil.example", "/\\/evil.example", "https://evil.example", "/%2F/evil.example",
		"javascript:alert(1)", "/..//evil.example", "/a/../../evil", " /x", "/\x00", "/\u3000/evil",
	} {
		f.Add(seed)
	}
	base, _ := url.Parse("http://drover.test:12345/login")
	f.Fuzz(func(t *testing.T, next string) {
		if !safeNext(next) {
			return
		}
		// The form value may arrive percent-decoded once more by a proxy.
		for _, loc := range []string{next} {
			u, err := browserResolve(base, loc)
			if err != nil {
				t.Fatalf("safeNext accepted %q, which does not parse: %v", next, err)
			}
			if u.Host != base.Host || u.Scheme != base.Scheme {
				t.Fatalf("safeNext accepted %q, which leads to %s", next, u)
			}
		}
	})
}
