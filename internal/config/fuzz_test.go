package config

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad checks only that parsing never panics, whatever the file and the
// environment hold.
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
	f.Fuzz(func(t *testing.T, src []byte, env string) {
		c, err := Parse("fuzz.toml", src, []string{env})
		if err == nil {
			if verr := c.Validate(); verr != nil {
				t.Fatalf("Parse accepted a configuration Validate refuses: %v", verr)
			}
		}
	})
}
