package config

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"
	"unicode"
)

// Mask replaces the value of a secret that is set, wherever one is printed.
const Mask = "********"

// Show writes every key and its value, secrets masked, as TOML grouped by
// section, or as one JSON object in the same order when asJSON is set.
func (c *Config) Show(w io.Writer, asJSON bool) error {
	bw := bufio.NewWriter(w)
	v := reflect.ValueOf(c).Elem()
	section := ""
	if asJSON {
		bw.WriteString("{\n")
	}
	for i, f := range fields {
		val := v.Field(f.index).Interface()
		if s, ok := val.(string); ok && f.secret && s != "" {
			val = Mask
		}
		if asJSON {
			b, err := json.Marshal(val)
			if err != nil {
				return fmt.Errorf("config: show %s: %w", f.name, err)
			}
			sep := ",\n"
			if i == len(fields)-1 {
				sep = "\n"
			}
			fmt.Fprintf(bw, "  %q: %s%s", f.name, b, sep)
			continue
		}
		if f.meta.section != section {
			if section != "" {
				bw.WriteString("\n")
			}
			section = f.meta.section
			fmt.Fprintf(bw, "# %s\n", section)
		}
		fmt.Fprintf(bw, "%s = %s\n", f.name, showValue(val))
	}
	if asJSON {
		bw.WriteString("}\n")
	}
	return bw.Flush()
}

// showValue is tomlValue with strings written as TOML basic strings.
func showValue(v any) string {
	if s, ok := v.(string); ok {
		return tomlQuote(s)
	}
	return tomlValue(v)
}

// tomlQuote writes s as a TOML basic string.
func tomlQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == unicode.ReplacementChar || r < 0x20 || r == 0x7f || !unicode.IsPrint(r) && r != ' ':
			if r > 0xFFFF {
				fmt.Fprintf(&b, `\U%08X`, r)
			} else {
				fmt.Fprintf(&b, `\u%04X`, r)
			}
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
