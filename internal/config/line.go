package config

import (
	"errors"
	"reflect"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
)

// Finding the line of a key. The toml package knows every key's position but
// only reveals it in the error it returns when decoding a value fails. So to
// find key K, decode the source again into a struct whose only field is K,
// of a type that always refuses its value, and read the line off the error.
// This runs only for keys that are wrong, so its cost does not matter.

type lineProbe struct{}

var errProbe = errors.New("line probe")

func (lineProbe) UnmarshalTOML(any) error { return errProbe }

// keyLine returns the 1-based line of the top-level key in src, or 0.
func keyLine(src, key string) (line int) {
	defer func() {
		if recover() != nil {
			line = scanLine(src, key)
		}
	}()
	// The toml package reads a tag up to its first comma, and "-" skips.
	if key == "" || key == "-" || strings.Contains(key, ",") {
		return scanLine(src, key)
	}
	typ := reflect.StructOf([]reflect.StructField{{
		Name: "K",
		Type: reflect.TypeFor[lineProbe](),
		Tag:  reflect.StructTag("toml:" + strconv.Quote(key)),
	}})
	want := toml.Key{key}.String()
	// Keys that differ only in case match the field too, and which one the
	// decoder meets first varies; a few tries find the right one.
	for range 8 {
		_, err := toml.Decode(src, reflect.New(typ).Interface())
		var pe toml.ParseError
		if !errors.As(err, &pe) || !errors.Is(err, errProbe) {
			break
		}
		if pe.LastKey == want && pe.Position.Line > 0 {
			return pe.Position.Line
		}
	}
	return scanLine(src, key)
}

// scanLine is the fallback: the first line that starts with key followed by
// "=" or ".", or that opens the table [key] or [[key]].
func scanLine(src, key string) int {
	for i, l := range strings.Split(src, "\n") {
		if lineKeyOf(l) == key {
			return i + 1
		}
	}
	return 0
}

// scanLines maps each key that starts a line (see lineKeyOf) to the first
// line it starts. It is quick and can be fooled by multi-line strings; an
// error's line comes from keyLine.
func scanLines(src string) map[string]int {
	m := make(map[string]int)
	for i, l := range strings.Split(src, "\n") {
		if k := lineKeyOf(l); k != "" {
			if _, ok := m[k]; !ok {
				m[k] = i + 1
			}
		}
	}
	return m
}

// lineKey returns the key that line n (1-based) of src starts with.
func lineKey(src string, n int) string {
	lines := strings.Split(src, "\n")
	if n < 1 || n > len(lines) {
		return ""
	}
	return lineKeyOf(lines[n-1])
}

// lineKeyOf returns the key a line of TOML starts with: the first piece of a
// (possibly dotted, possibly quoted) key before "=", or a table's name.
func lineKeyOf(l string) string {
	l = strings.TrimSpace(l)
	l = strings.TrimLeft(l, "[")
	l = strings.TrimSpace(l)
	if l == "" {
		return ""
	}
	if q := l[0]; q == '"' || q == '\'' {
		end := strings.IndexByte(l[1:], q)
		if end < 0 {
			return ""
		}
		k := l[1 : end+1]
		if q == '"' {
			if u, err := strconv.Unquote(l[:end+2]); err == nil {
				k = u
			}
		}
		return k
	}
	end := strings.IndexAny(l, " \t=.]")
	if end < 0 {
		return l
	}
	return l[:end]
}
