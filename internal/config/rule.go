package config

import (
	"fmt"
	"math"
	"net"
	"regexp"
	"strconv"
	"strings"
)

// A rule says which values of a key are acceptable. Values reach check
// already converted to the key's Go type: int64, string or bool.
type rule struct {
	want  string           // what a value must be: "an integer from 1 to 65535"
	check func(v any) bool // nil: any value of the right type
	// problem, when set, replaces the "want ..., got ..." message.
	problem func(v any) string
}

// The largest number of seconds any duration key takes (30 days), so that a
// time.Duration never overflows.
const maxSeconds = 30 * 24 * 3600

const maxNameLen = 64

func intRange(lo, hi int64) rule {
	want := fmt.Sprintf("an integer from %d to %d", lo, hi)
	if hi == math.MaxInt32 {
		want = fmt.Sprintf("an integer >= %d", lo)
	}
	return rule{want: want, check: func(v any) bool {
		n := v.(int64)
		return n >= lo && n <= hi
	}}
}

func oneOf(values ...string) rule {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = strconv.Quote(v)
	}
	return rule{
		want:  "one of " + strings.Join(q, ", "),
		check: func(v any) bool { return contains(values, v.(string)) },
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

var anyString = rule{want: "a string"}

var anyBool = rule{want: "true or false"}

var nonEmpty = rule{want: "a non-empty string", check: func(v any) bool { return v.(string) != "" }}

func isNameRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
		r == '_' || r == '.' || r == '-'
}

func isName(s string) bool {
	if s == "" || len(s) > maxNameLen {
		return false
	}
	for _, r := range s {
		if !isNameRune(r) {
			return false
		}
	}
	return true
}

var nameRule = rule{
	want:  `1 to 64 of the characters A-Z a-z 0-9 "_" "." "-"`,
	check: func(v any) bool { return isName(v.(string)) },
}

var optionalNameRule = rule{
	want:  `"" or ` + nameRule.want,
	check: func(v any) bool { s := v.(string); return s == "" || isName(s) },
}

// hostPort accepts host:port with a port in 1..65535 (0 too when zeroPort),
// and an empty host when emptyHost.
func hostPort(emptyHost, zeroPort bool, hint string) rule {
	want := "host:port"
	if hint != "" {
		want += " (" + hint + ")"
	}
	return rule{want: want, check: func(v any) bool {
		host, port, err := net.SplitHostPort(v.(string))
		if err != nil || (host == "" && !emptyHost) || strings.ContainsAny(host, " \t/") {
			return false
		}
		n, err := strconv.Atoi(port)
		lo := 1
		if zeroPort {
			lo = 0
		}
		return err == nil && n >= lo && n <= 65535
	}}
}

// redisHost accepts an IP address or host name without a port.
var redisHost = rule{
	want: "an IP address or host name without a port (the port goes in redis_port)",
	check: func(v any) bool {
		s := v.(string)
		if s == "" || strings.ContainsAny(s, " \t/") {
			return false
		}
		return !strings.Contains(s, ":") || net.ParseIP(s) != nil
	},
}

var bucketRE = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

// bucketName follows the S3 bucket naming rules that matter in practice.
var bucketName = rule{
	want: `a bucket name: 3 to 63 of a-z 0-9 "." "-", starting and ending with a letter or digit`,
	check: func(v any) bool {
		s := v.(string)
		return bucketRE.MatchString(s) && !strings.Contains(s, "..") && net.ParseIP(s) == nil
	},
}

var daskRefused = rule{
	want:  "false",
	check: func(v any) bool { return !v.(bool) },
	problem: func(any) string {
		return "Dask clusters are not supported by drover: each experiment runs on one node " +
			"(set enable_dask_cluster = false or remove the key)"
	},
}
