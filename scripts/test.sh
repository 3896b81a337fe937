#!/usr/bin/env bash
# Installs what the tests need (redis-server, MinIO, Chromium, XGBoost,
# Debian's pytest and pandas, staticcheck, govulncheck and its database),
# checks the code (gofmt, go vet, staticcheck, govulncheck) and runs every
# test of the project: the Go tests, then the Python client's pytest suite.
# CI runs exactly this (through .ci/run). Arguments go to `go test`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/toolchain.sh

bash scripts/install-deps.sh
echo "== $(go version) (GOTOOLCHAIN=$GOTOOLCHAIN)"
BIN_DIR="${DROVER_TOOLS_BIN:-$(go env GOPATH)/bin}"
export PATH="$BIN_DIR:$PATH"

echo "== gofmt"
gofiles=$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.git/*')
unformatted=$(gofmt -l $gofiles)
if [ -n "$unformatted" ]; then
  echo "gofmt: these files are not formatted (run gofmt -w, or make fmt):"
  echo "$unformatted"
  exit 1
fi

echo "== go vet"
go vet ./...

echo "== staticcheck $(cat "$BIN_DIR/.staticcheck-version")"
"$BIN_DIR/staticcheck" ./...

bash scripts/govulncheck.sh

echo "== go test"
go test -count=1 -timeout 25m "$@" ./...
echo "== python client (pytest)"
bash scripts/test-python.sh
