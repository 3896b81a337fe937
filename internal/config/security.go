package config

import (
	"net/url"
	"strings"
)

// publicURLRule accepts "" or an absolute http(s) URL with a host and no
// path, query or fragment beyond "/".
var publicURLRule = rule{
	want: `"" or an http:// or https:// URL with a host and no path, e.g. "https://drover.example.com"`,
	check: func(v any) bool {
		s := v.(string)
		if s == "" {
			return true
		}
		_, err := ParsePublicURL(s)
		return err == nil
	},
}

// ParsePublicURL parses public_url; it returns the URL with any trailing
// "/" removed.
func ParsePublicURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(s, " \t") {
		return nil, &url.Error{Op: "parse", URL: s, Err: errBadPublicURL}
	}
	u.Path = ""
	return u, nil
}

type publicURLError struct{}

func (publicURLError) Error() string { return "want scheme://host[:port]" }

var errBadPublicURL = publicURLError{}
