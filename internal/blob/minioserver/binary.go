package minioserver

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// BinaryName is the file name of the MinIO server executable.
const BinaryName = "minio"

// FindBinary returns the path of the minio executable. It looks, in order,
// on PATH, in $GOBIN, in $(go env GOPATH)/bin (GOPATH from the environment or
// its default ~/go), and next to the running executable.
func FindBinary() (string, error) {
	if p, err := exec.LookPath(BinaryName); err == nil {
		return p, nil
	}
	var dirs []string
	if gobin := os.Getenv("GOBIN"); gobin != "" {
		dirs = append(dirs, gobin)
	}
	if gopath := os.Getenv("GOPATH"); gopath != "" {
		for _, p := range filepath.SplitList(gopath) {
			dirs = append(dirs, filepath.Join(p, "bin"))
		}
	} else if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, "go", "bin"))
	}
	if exe, err := os.Executable(); err == nil {
		dirs = append(dirs, filepath.Dir(exe))
	}
	for _, d := range dirs {
		p := filepath.Join(d, BinaryName)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode().Perm()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("blob: minio binary not found on PATH or in %s (run scripts/install-deps.sh)", strings.Join(dirs, ", "))
}

// Credential length limits that MinIO enforces on its root user.
const (
	MinAccessKeyLen = 3
	MinSecretKeyLen = 8
)

// ErrCredentials is returned (wrapped) by ValidateCredentials.
var ErrCredentials = errors.New("blob: invalid minio credentials")

// ValidateCredentials checks the access key and secret against MinIO's
// limits. The secret itself never appears in the error.
func ValidateCredentials(accessKey, secretKey string) error {
	if len(accessKey) < MinAccessKeyLen {
		return fmt.Errorf("%w: main_server_minio_access_key_id must be at least %d characters (has %d)",
			ErrCredentials, MinAccessKeyLen, len(accessKey))
	}
	if len(secretKey) < MinSecretKeyLen {
		return fmt.Errorf("%w: main_server_minio_secret_access_key must be at least %d characters (has %d)",
			ErrCredentials, MinSecretKeyLen, len(secretKey))
	}
	return nil
}
