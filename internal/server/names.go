package server

import (
	"strings"
	"unicode/utf8"
)

// cutUTF8 cuts s to at most n bytes without splitting a character.
func cutUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// isBidiControl reports the characters that reorder how text is shown
// (U+202A..U+202E, U+2066..U+2069, U+200E, U+200F, U+061C): in a name they
// can make "exe.csv" read as something else.
func isBidiControl(r rune) bool {
	return (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x200e || r == 0x200f || r == 0x061c
}

// cleanLabel removes control and bidi control characters and invalid UTF-8
// from a user-given label and cuts it to max bytes at a character boundary.
func cleanLabel(s string, max int) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || (r >= 0x7f && r < 0xa0) || isBidiControl(r) {
			return -1
		}
		return r
	}, s)
	return cutUTF8(s, max)
}
