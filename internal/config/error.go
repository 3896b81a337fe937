package config

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Error is a problem with the configuration. It says where the bad value came
// from: a file and line, or an environment variable. Its message never holds
// the value of a secret key.
type Error struct {
	File string // config file; "" when the value came from the environment or the defaults
	Line int    // 1-based line in File; 0 when unknown or not about one line
	Env  string // environment variable the value came from, e.g. "DROVER_REDIS_PORT"
	Key  string // config key; "" for a TOML syntax error or an unreadable file
	Msg  string // the message after the location, e.g. `redis_port: want ..., got "abc"`
	Err  error  // underlying error, e.g. one wrapping fs.ErrNotExist; may be nil
}

func (e *Error) Error() string {
	switch {
	case e.File != "" && e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	case e.File != "":
		return e.File + ": " + e.Msg
	case e.Env != "":
		return e.Env + ": " + e.Msg
	}
	return "config: " + e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

// joinErrors joins errs in order. A single error is returned as the *Error
// itself, so errors.As and type assertions both work.
func joinErrors(errs []*Error) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	list := make([]error, len(errs))
	for i, e := range errs {
		list[i] = e
	}
	return errors.Join(list...)
}

// describe writes a value for an error message: strings quoted (and cut
// when long), other TOML types named. A secret's value is never written.
func describe(v any, secret bool) string {
	if secret {
		switch v.(type) {
		case string:
			return "a string (not shown: secret)"
		case int64:
			return "an integer (not shown: secret)"
		}
		return describeType(v) + " (not shown: secret)"
	}
	switch v := v.(type) {
	case string:
		if len(v) > 60 {
			n := 60
			for n > 0 && !utf8.RuneStart(v[n]) {
				n-- // cut at a character boundary
			}
			v = v[:n] + "..."
		}
		return strconv.Quote(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case bool:
		return strconv.FormatBool(v)
	case float64:
		s := strconv.FormatFloat(v, 'g', -1, 64)
		if v == math.Trunc(v) && !math.IsInf(v, 0) && !strings.ContainsAny(s, "e") {
			s += ".0"
		}
		return s + " (a float)"
	}
	return describeType(v)
}

func describeType(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case bool:
		return "a boolean"
	case float64:
		return "a float"
	case map[string]any:
		return "a table"
	case []any, []map[string]any:
		return "an array"
	case time.Time:
		return "a date-time"
	}
	return "a " + strings.TrimPrefix(fmt.Sprintf("%T", v), "toml.")
}

// suggest returns the known key closest to an unknown one, or "".
func suggest(unknown string) string {
	lower := strings.ToLower(unknown)
	best, bestDist := "", 4
	var prefixed []string // keys that start with unknown: "tls_cert" for tls_cert_file
	for _, f := range fields {
		if len(lower) >= 5 && strings.HasPrefix(f.name, lower+"_") {
			prefixed = append(prefixed, f.name)
		}
		if f.name == lower {
			return f.name
		}
		if len(lower) >= 5 && strings.HasSuffix(f.name, "_"+lower) {
			return f.name
		}
		if d := editDistance(lower, f.name); d < bestDist && d <= len(f.name)/3 {
			best, bestDist = f.name, d
		}
	}
	if best == "" && len(prefixed) == 1 {
		return prefixed[0]
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
