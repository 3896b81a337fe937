#!/usr/bin/env bash
# Installs what the tests need (redis-server, MinIO, Chromium, XGBoost,
# Debian's pytest and pandas) and runs every test of the project: the Go
# tests, then the Python client's pytest suite. CI runs exactly this (through
# .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
export PATH="$(go env GOPATH)/bin:$PATH"

echo "== go vet"
go vet ./...
echo "== go test"
go test -count=1 -timeout 25m "$@" ./...
echo "== python client (pytest)"
bash scripts/test-python.sh
