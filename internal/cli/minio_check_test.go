package cli

import (
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/drover-ml/drover/internal/testutil"
)

func freePortCLI(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestConfigCheckMinIOSplit: `drover config check` takes the server's MinIO
// decision: it refuses addresses that would split server and workers over
// two stores, and says when an existing MinIO will be used.
func TestConfigCheckMinIOSplit(t *testing.T) {
	t.Setenv("DROVER_WORKER_MODE", "multinode")
	addr, local := freePortCLI(t), freePortCLI(t)
	t.Setenv("DROVER_MAIN_SERVER_MINIO_ADDRESS", fmt.Sprintf("127.0.0.1:%d", addr))
	t.Setenv("DROVER_LOCAL_MINIO_PORT", fmt.Sprint(local))
	code, out, errs := drover(t, "config", "check")
	if code != ExitError || !strings.Contains(errs, "local_minio_port") || !strings.Contains(errs, "main_server_minio_address") ||
		!strings.Contains(errs, fmt.Sprintf("set local_minio_port = %d", addr)) {
		t.Fatalf("config check of a split: %d %q %q", code, out, errs)
	}
	t.Setenv("DROVER_LOCAL_MINIO_PORT", fmt.Sprint(addr))
	if code, out, errs = drover(t, "config", "check"); code != ExitOK || !strings.Contains(out, "starting MinIO on 127.0.0.1:"+fmt.Sprint(addr)) {
		t.Fatalf("config check, drover's own MinIO: %d %q %q", code, out, errs)
	}
	mio := testutil.StartMinIO(t)
	t.Setenv("DROVER_MAIN_SERVER_MINIO_ADDRESS", mio.Endpoint())
	if code, out, errs = drover(t, "config", "check"); code != ExitOK || !strings.Contains(out, "already answers at main_server_minio_address "+mio.Endpoint()) {
		t.Fatalf("config check with an existing MinIO: %d %q %q", code, out, errs)
	}
}
