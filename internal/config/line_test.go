package config

import (
	"fmt"
	"strings"
	"testing"
)

func TestKeyLine(t *testing.T) {
	src := "# comment\n" +
		"worker_mode = \"x\"\n" +
		"  redis_port=1 # indented, no spaces\n" +
		"\"quoted key\" = 2\n" +
		"dotted.key = 3\n" +
		"'literal,comma' = 4\n" +
		"multi = \"\"\"\n" +
		"fake = 1\n" +
		"\"\"\"\n" +
		"Redis_Port = 5\n" +
		"[tbl]\n" +
		"inner = 6\n"
	for key, want := range map[string]int{
		"worker_mode": 2, "redis_port": 3, "quoted key": 4, "dotted": 5, "literal,comma": 6,
		"multi": 7, "Redis_Port": 10, "tbl": 11, "absent": 0,
	} {
		if got := keyLine(src, key); got != want {
			t.Errorf("keyLine(%q) = %d, want %d", key, got, want)
		}
	}
}

func TestManyErrorsCapped(t *testing.T) {
	var src strings.Builder
	for i := range 25 {
		fmt.Fprintf(&src, "bogus_%02d = %d\n", i, i)
	}
	_, err := Parse("many.toml", []byte(src.String()), nil)
	j, ok := err.(interface{ Unwrap() []error })
	if !ok || len(j.Unwrap()) != maxFileErrors+1 {
		t.Fatalf("want %d errors, got %v", maxFileErrors+1, err)
	}
	errs := j.Unwrap()
	if got := errs[0].Error(); got != `many.toml:1: unknown key "bogus_00"` {
		t.Errorf("first: %s", got)
	}
	if got := errs[maxFileErrors].Error(); got != "many.toml: 5 more problems not shown" {
		t.Errorf("last: %s", got)
	}
}
