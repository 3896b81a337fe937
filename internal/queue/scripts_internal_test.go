package queue

import (
	"regexp"
	"strings"
	"testing"
)

// Every function a script calls is defined in its text before the call:
// scripts carry only the helpers they name (luaScript).
func TestScriptsDefineWhatTheyCall(t *testing.T) {
	def := regexp.MustCompile(`local function (\w+)\(`)
	call := regexp.MustCompile(`\b([a-z_]+)\(`)
	lua := map[string]bool{"tonumber": true, "ipairs": true, "pairs": true, "type": true, "tostring": true}
	for name, src := range scriptSources() {
		defined := map[string]int{}
		for _, m := range def.FindAllStringSubmatchIndex(src, -1) {
			defined[src[m[2]:m[3]]] = m[0]
		}
		for _, m := range call.FindAllStringSubmatchIndex(src, -1) {
			f := src[m[2]:m[3]]
			if lua[f] || (m[0] > 0 && strings.ContainsAny(src[m[0]-1:m[0]], ".:^")) {
				continue // a Lua builtin, a method (string.format, redis.call), a pattern
			}
			at, ok := defined[f]
			if !ok || at > m[0] {
				if line := src[strings.LastIndex(src[:m[0]], "\n")+1 : m[0]]; strings.HasPrefix(strings.TrimSpace(line), "--") {
					continue // in a comment
				}
				t.Errorf("script %s calls %s, not defined before the call", name, f)
			}
		}
	}
	if n := len(scriptSources()); n != 19 {
		t.Errorf("%d scripts", n)
	}
}
