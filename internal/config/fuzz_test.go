package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzLoad: whatever the file and the environment hold, parsing never
// panics; a configuration it accepts passes Validate; every problem it
// reports is a *Error that says where (file or variable), in valid UTF-8,
// and never quotes the value of a secret variable.
func FuzzLoad(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.toml"))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b, "DROVER_REDIS_PORT=6380")
		}
	}
	f.Add([]byte("a.b.c = 1\n[x]\ny = 2\n[[z]]\n"), "DROVER_WORKER_GPUS=-2")
	f.Add([]byte("\"quoted,key\" = 1\n'-' = 2\n\"\" = 3\n"), "DROVER_REDIS_TLS=maybe")
	f.Add([]byte("Redis_Port = 1\nredis_port = 2\nREDIS_PORT = 3\n"), "DROVER_=x")
	f.Add([]byte("api_token = 5\n"), "DROVER_API_TOKEN=hunter2-secret-value")
	f.Add([]byte("redis_ip = \"é\"\n"), "DROVER_REDIS_IP="+strings.Repeat("é", 40))
	f.Fuzz(func(t *testing.T, src []byte, env string) {
		c, err := Parse("fuzz.toml", src, []string{env})
		if err == nil {
			if verr := c.Validate(); verr != nil {
				t.Fatalf("Parse accepted a configuration Validate refuses: %v", verr)
			}
			return
		}
		if !utf8.ValidString(err.Error()) && utf8.Valid(src) && utf8.ValidString(env) {
			t.Fatalf("error of valid UTF-8 input is not valid UTF-8: %q", err.Error())
		}
		var ce *Error
		if !errors.As(err, &ce) {
			t.Fatalf("error %v holds no *Error", err)
		}
		name, value, _ := strings.Cut(env, "=")
		if IsSecretEnv(name) && len(value) >= 8 && strings.Contains(err.Error(), value) {
			t.Fatalf("error quotes the secret of %s: %v", name, err)
		}
	})
}
