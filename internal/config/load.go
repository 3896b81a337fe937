package config

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
)

// DefaultPath is the config file read when none is given explicitly.
const DefaultPath = "config.toml"

// origin says where a key's value came from, for errors found after loading.
type origin struct {
	file string
	src  *string // the file's text, to find the key's line
	env  string
}

func (o origin) error(key, msg string) *Error {
	e := &Error{File: o.file, Env: o.env, Key: key, Msg: msg}
	if o.src != nil {
		e.Line = keyLine(*o.src, key)
	}
	return e
}

// Load builds a configuration: Default, then the file at path (skipped when
// path is ""), then the DROVER_<KEY> variables in env (KEY=VALUE strings as
// from os.Environ; the last of duplicates wins), then validation.
// Every problem found is reported; each is an *Error (several are joined).
func Load(path string, env []string) (*Config, error) {
	var src []byte
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, readError(path, err)
		}
		src = b
	}
	return load(path, src, env)
}

// LoadDefaultPath loads the file a command was pointed at. When path was not
// given explicitly (it is the default, DefaultPath) and does not exist, the
// defaults and env are used alone; a missing file given explicitly is an
// error.
func LoadDefaultPath(path string, explicit bool, env []string) (*Config, error) {
	if !explicit {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return Load("", env)
		}
	}
	return Load(path, env)
}

// Parse is Load for a file already in memory; name is used in errors.
func Parse(name string, src []byte, env []string) (*Config, error) {
	return load(name, src, env)
}

func readError(path string, err error) *Error {
	msg := err.Error()
	var pe *fs.PathError
	if errors.As(err, &pe) {
		msg = pe.Err.Error()
	}
	return &Error{File: path, Msg: "cannot read: " + msg, Err: err}
}

func load(name string, src []byte, env []string) (*Config, error) {
	c := Default()
	origins := make(map[string]origin)
	var errs []*Error
	if src != nil {
		if name == "" {
			name = DefaultPath
		}
		errs = append(errs, applyFile(&c, origins, name, string(src))...)
	}
	errs = append(errs, applyEnv(&c, origins, env)...)
	if len(errs) > 0 {
		return nil, joinErrors(errs)
	}
	if err := joinErrors(crossCheck(&c, origins)); err != nil {
		return nil, err
	}
	return &c, nil
}

// applyFile decodes TOML source into c, checking every key.
func applyFile(c *Config, origins map[string]origin, name, src string) []*Error {
	var raw map[string]any
	if _, err := toml.Decode(src, &raw); err != nil {
		return []*Error{syntaxError(name, src, err)}
	}
	var errs []*Error
	for _, key := range slices.Sorted(maps.Keys(raw)) {
		v := raw[key]
		f, ok := fieldByName[key]
		if !ok {
			errs = append(errs, &Error{File: name, Key: key, Msg: unknownKey(key, v)})
			continue
		}
		val, ok := fromTOML(f.kind, v)
		if !ok {
			errs = append(errs, &Error{File: name, Key: key, Msg: key + ": " + wantGot(f, v)})
			continue
		}
		if msg := checkValue(f, val); msg != "" {
			errs = append(errs, &Error{File: name, Key: key, Msg: key + ": " + msg})
			continue
		}
		set(c, f, val)
		origins[key] = origin{file: name, src: &src}
	}
	if len(errs) == 0 {
		return nil
	}
	// A quick scan orders the errors by line; the exact (slower) lookup of
	// each line runs only for the errors reported.
	rough := scanLines(src)
	for _, e := range errs {
		e.Line = rough[e.Key]
	}
	slices.SortStableFunc(errs, func(a, b *Error) int { return cmp.Compare(a.Line, b.Line) })
	if len(errs) > maxFileErrors {
		more := len(errs) - maxFileErrors
		errs = append(errs[:maxFileErrors:maxFileErrors], &Error{File: name,
			Msg: fmt.Sprintf("%d more problems not shown", more)})
	}
	for _, e := range errs {
		if e.Key != "" {
			e.Line = keyLine(src, e.Key)
		}
	}
	return errs
}

// maxFileErrors bounds the problems reported for one file.
const maxFileErrors = 20

func unknownKey(key string, v any) string {
	if _, ok := v.(map[string]any); ok {
		return "unknown table " + strconv.Quote(key) + ": every drover key is at the top level, outside any [table]"
	}
	msg := "unknown key " + strconv.Quote(key)
	if s := suggest(key); s != "" {
		msg += " (did you mean " + strconv.Quote(s) + "?)"
	}
	return msg
}

func syntaxError(name, src string, err error) *Error {
	var pe toml.ParseError
	if !errors.As(err, &pe) {
		return &Error{File: name, Msg: "not valid TOML", Err: err}
	}
	msg := pe.Message
	if k := lineKey(src, pe.Position.Line); isSecret(k) || isSecret(pe.LastKey) {
		if !isSecret(k) {
			k = pe.LastKey
		}
		msg = "invalid TOML in the value of " + k + " (not shown: secret)"
	}
	// pe itself is not kept: its text quotes the offending line.
	return &Error{File: name, Line: pe.Position.Line, Msg: msg}
}

func isSecret(key string) bool {
	f, ok := fieldByName[key]
	return ok && f.secret
}

// applyEnv applies DROVER_<KEY> variables. Other DROVER_ variables are left
// alone (the runner passes some to its children); see IgnoredEnv.
func applyEnv(c *Config, origins map[string]origin, env []string) []*Error {
	last := make(map[string]string)
	for _, kv := range env {
		k, v, ok := strings.Cut(kv, "=")
		if ok && strings.HasPrefix(k, EnvPrefix) {
			last[k] = v
		}
	}
	var errs []*Error
	for i := range fields {
		f := &fields[i]
		name := EnvName(f.name)
		s, ok := last[name]
		if !ok {
			continue
		}
		at := origin{env: name}
		val, ok := fromEnv(f.kind, s)
		if !ok {
			errs = append(errs, at.error(f.name, wantGot(f, s)))
			continue
		}
		if msg := checkValue(f, val); msg != "" {
			errs = append(errs, at.error(f.name, msg))
			continue
		}
		set(c, f, val)
		origins[f.name] = at
	}
	return errs
}

// IgnoredEnv lists the DROVER_ variables in env that name no key, so that a
// command can warn about a misspelt override. Variables drover sets for
// command experiments (DROVER_DATASET and the like) are not listed.
func IgnoredEnv(env []string) []string {
	var out []string
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(k, EnvPrefix) || contains(runnerEnv, k) {
			continue
		}
		if _, ok := fieldByName[strings.ToLower(strings.TrimPrefix(k, EnvPrefix))]; ok &&
			k == strings.ToUpper(k) {
			continue
		}
		if !contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

// runnerEnv are variables drover itself sets for command experiments.
var runnerEnv = []string{"DROVER_DATASET", "DROVER_OUTPUT_DIR", "DROVER_EXPERIMENT_ID", "DROVER_ATTEMPT"}

// fromTOML converts a decoded TOML value to the Go type rules check.
func fromTOML(k reflect.Kind, v any) (any, bool) {
	switch k {
	case reflect.Int:
		n, ok := v.(int64)
		return n, ok
	case reflect.Bool:
		b, ok := v.(bool)
		return b, ok
	}
	s, ok := v.(string)
	return s, ok
}

func fromEnv(k reflect.Kind, s string) (any, bool) {
	switch k {
	case reflect.Int:
		n, err := strconv.ParseInt(s, 10, 64)
		return n, err == nil
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		return b, err == nil
	}
	return s, true
}

func wantGot(f *field, v any) string {
	return "want " + f.meta.rule.want + ", got " + describe(v, f.secret)
}

// checkValue applies a key's rule; "" means the value is fine.
func checkValue(f *field, v any) string {
	r := f.meta.rule
	if r.check == nil || r.check(v) {
		return ""
	}
	if r.problem != nil {
		return r.problem(v)
	}
	return wantGot(f, v)
}

func set(c *Config, f *field, v any) {
	fv := reflect.ValueOf(c).Elem().Field(f.index)
	switch v := v.(type) {
	case int64:
		fv.SetInt(v)
	case bool:
		fv.SetBool(v)
	case string:
		fv.SetString(v)
	}
}

// EnvWarnings explains each variable IgnoredEnv lists in one line, with the
// key it probably meant: `DROVER_REDIS_PROT names no key and is ignored
// (did you mean DROVER_REDIS_PORT?)`.
func EnvWarnings(env []string) []string {
	var out []string
	for _, name := range IgnoredEnv(env) {
		msg := name + " names no key and is ignored"
		if s := suggest(strings.TrimPrefix(name, EnvPrefix)); s != "" {
			msg += " (did you mean " + EnvName(s) + "?)"
		}
		out = append(out, msg)
	}
	return out
}
