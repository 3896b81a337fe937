package config

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

const exampleHeader = `# drover configuration.
#
# Every key is listed below, commented out, with its default value: this file
# as shipped changes nothing. To change a setting, uncomment its line and edit
# the value. Any key can also be set with the environment variable
# DROVER_<KEY IN UPPER CASE> (e.g. DROVER_REDIS_PORT=6380), which wins over
# this file. Unknown keys are an error. Reference: docs/config.md.
# Check a file with: drover config check --config config.toml
`

// WriteExample writes the commented example config.toml: every key, grouped
// by section, commented out with its default and what it means. The
// config.toml at the repository root is this output.
func WriteExample(w io.Writer) error {
	bw := bufio.NewWriter(w)
	bw.WriteString(exampleHeader)
	section := ""
	for _, k := range Keys() {
		if k.Section != section {
			section = k.Section
			rule := strings.Repeat("-", 76)
			fmt.Fprintf(bw, "\n# %s\n# %s\n# %s\n", rule, section, rule)
		}
		bw.WriteString("\n")
		for _, l := range wrap(k.Doc, 76) {
			fmt.Fprintf(bw, "# %s\n", l)
		}
		fmt.Fprintf(bw, "# %s = %s\n", k.Name, k.Default)
	}
	return bw.Flush()
}

// writeReference writes the key tables of docs/config.md, one per section.
func writeReference(w io.Writer) error {
	bw := bufio.NewWriter(w)
	section := ""
	for _, k := range Keys() {
		if k.Section != section {
			if section != "" {
				bw.WriteString("\n")
			}
			section = k.Section
			fmt.Fprintf(bw, "### %s\n\n", section)
			bw.WriteString("| Key | Type | Default | Environment variable | Meaning |\n")
			bw.WriteString("|---|---|---|---|---|\n")
		}
		doc := k.Doc
		if k.Allowed != anyString.want && k.Allowed != anyBool.want {
			doc += " Accepts " + k.Allowed + "."
		}
		fmt.Fprintf(bw, "| `%s` | %s | `%s` | `%s` | %s |\n",
			k.Name, k.Type, k.Default, k.Env, strings.ReplaceAll(doc, "|", `\|`))
	}
	return bw.Flush()
}

// wrap breaks text into lines of at most width bytes at spaces.
func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(text) {
		switch {
		case line == "":
			line = word
		case len(line)+1+len(word) <= width:
			line += " " + word
		default:
			lines = append(lines, line)
			line = word
		}
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}
