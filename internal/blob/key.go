package blob

import (
	"fmt"
	"strconv"
	"strings"
)

// Key prefixes. Every object drover stores lives under one of them.
const (
	DatasetPrefix  = "datasets/sha256/"
	ArtifactPrefix = "artifacts/"
)

// MaxKeyLen is the longest key accepted (S3's own limit).
const MaxKeyLen = 1024

// DatasetKey returns the key of the dataset whose content has the given
// SHA-256 (lower-case hex): "datasets/sha256/<hex>".
func DatasetKey(sha256hex string) string {
	return DatasetPrefix + sha256hex
}

// ArtifactKey returns the key of one artifact file of an attempt:
// "artifacts/<exp>/attempt-<n>/<name>". name may contain "/" for files in
// sub-directories; the result must still pass ValidateKey.
func ArtifactKey(expID string, attempt int, name string) string {
	return ArtifactPrefix + expID + "/attempt-" + strconv.Itoa(attempt) + "/" + name
}

// ValidSHA256 reports whether s is 64 lower-case hex digits.
func ValidSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// ValidateKey checks that key is safe as an object name and as a relative
// file path under a data directory: 1 to MaxKeyLen bytes of [A-Za-z0-9._/-],
// made of non-empty "/"-separated segments, none of which starts with "."
// (so no ".", "..", hidden or temporary names). A valid key can never name a
// file outside the directory it is joined to.
func ValidateKey(key string) error {
	if key == "" {
		return fmt.Errorf("%w: empty", ErrInvalidKey)
	}
	if len(key) > MaxKeyLen {
		return fmt.Errorf("%w: longer than %d bytes", ErrInvalidKey, MaxKeyLen)
	}
	for i := 0; i < len(key); i++ {
		if !keyByte(key[i]) {
			return fmt.Errorf("%w: %q: byte %q at %d not in [A-Za-z0-9._/-]", ErrInvalidKey, key, key[i], i)
		}
	}
	for seg := range strings.SplitSeq(key, "/") {
		if seg == "" {
			return fmt.Errorf("%w: %q: empty path segment (leading, trailing or double slash)", ErrInvalidKey, key)
		}
		if seg[0] == '.' {
			return fmt.Errorf("%w: %q: segment %q starts with a dot", ErrInvalidKey, key, seg)
		}
	}
	return nil
}

// ValidatePrefix checks a List prefix: empty, or a key, or a key followed by "/".
// Unlike a key it may end in the middle of a segment ("datasets/sha256/ab").
func ValidatePrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	if err := ValidateKey(strings.TrimSuffix(prefix, "/")); err != nil {
		return fmt.Errorf("%w (as prefix)", err)
	}
	return nil
}

func keyByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '.' || c == '_' || c == '/' || c == '-'
}
