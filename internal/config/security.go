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

// IsSecretEnv reports whether an environment variable may carry a secret
// that experiment processes must not see: the override of any secret key
// (DROVER_API_TOKEN, DROVER_MAIN_SERVER_REDIS_PASSWORD, ...) and any other
// DROVER_ variable whose name says token, password, secret or key.
func IsSecretEnv(name string) bool {
	up := strings.ToUpper(name)
	if !strings.HasPrefix(up, EnvPrefix) {
		return false
	}
	if f := fieldByName[strings.ToLower(strings.TrimPrefix(up, EnvPrefix))]; f != nil {
		return f.secret
	}
	for _, w := range []string{"TOKEN", "PASSWORD", "PASSWD", "SECRET", "KEY", "CREDENTIAL"} {
		if strings.Contains(up, w) {
			return true
		}
	}
	return false
}

// ScrubEnv returns env (KEY=VALUE entries) without the secret variables.
func ScrubEnv(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if !IsSecretEnv(name) {
			out = append(out, kv)
		}
	}
	return out
}
