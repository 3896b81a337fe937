#!/usr/bin/env bash
# Installs what drover's tests need on a Debian machine: redis-server, Chromium,
# Debian's XGBoost library (optional engine backend), the MinIO server built
# from its Go module at a pinned version, and the checkers scripts/test.sh runs:
# staticcheck and govulncheck at pinned versions, with govulncheck's
# vulnerability database built from the golang.org/x/vulndb module (its OSV
# files) at a pinned version. Everything Go comes through the Go module proxy.
# Safe to run again: it skips what is there.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/toolchain.sh"

MINIO_VERSION="v0.0.0-20260212201848-7aac2a2c5b7c"
STATICCHECK_VERSION="v0.8.2"   # honnef.co/go/tools
GOVULNCHECK_VERSION="v1.9.0"   # golang.org/x/vuln
# The vulnerability data: golang.org/x/vulndb at this commit (2026-11-05).
# DROVER_VULNDB_VERSION=latest (or another version) takes a newer one.
VULNDB_VERSION="${DROVER_VULNDB_VERSION:-v0.0.0-20261105234957-e22db6528018}"
BIN_DIR="${DROVER_TOOLS_BIN:-$(go env GOPATH)/bin}"
mkdir -p "$BIN_DIR"

need_apt=()
command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
[ -e /usr/lib/x86_64-linux-gnu/libxgboost.so.0 ] || ls /usr/lib/*/libxgboost.so.0 >/dev/null 2>&1 || need_apt+=(libxgboost0)
[ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import xgboost, sklearn' >/dev/null 2>&1 || need_apt+=(python3-xgboost python3-sklearn)
command -v ip >/dev/null 2>&1 || need_apt+=(iproute2)
# The Python client's tests (scripts/test-python.sh): Debian's pytest, pandas,
# setuptools (the build backend), pip and venv (PEP 668: the client goes into
# a throw-away venv, never into the system's python).
for pkg in pytest:python3-pytest pandas:python3-pandas setuptools:python3-setuptools pip:python3-pip venv:python3-venv ensurepip:python3-venv; do
  mod="${pkg%%:*}"; deb="${pkg#*:}"
  if ! { [ -x /usr/bin/python3 ] && /usr/bin/python3 -c "import $mod" >/dev/null 2>&1; }; then
    case " ${need_apt[*]-} " in *" $deb "*) ;; *) need_apt+=("$deb") ;; esac
  fi
done

if [ ${#need_apt[@]} -gt 0 ]; then
  echo "install-deps: apt-get install ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# Debian starts redis-server as a service on install; tests start their own on
# free ports, so the packaged one is left alone.

if [ -x "$BIN_DIR/minio" ] && [ -f "$BIN_DIR/.minio-version" ] && [ "$(cat "$BIN_DIR/.minio-version")" = "$MINIO_VERSION" ]; then
  echo "install-deps: minio $MINIO_VERSION already in $BIN_DIR"
else
  echo "install-deps: building minio $MINIO_VERSION (about 3 minutes)"
  GOBIN="$BIN_DIR" CGO_ENABLED=0 go install "github.com/minio/minio@$MINIO_VERSION"
  echo "$MINIO_VERSION" > "$BIN_DIR/.minio-version"
fi
# go_tool NAME PACKAGE VERSION installs PACKAGE@VERSION as $BIN_DIR/NAME once.
go_tool() {
  local name=$1 pkg=$2 version=$3 mark="$BIN_DIR/.$1-version"
  if [ -x "$BIN_DIR/$name" ] && [ -f "$mark" ] && [ "$(cat "$mark")" = "$version" ]; then
    echo "install-deps: $name $version already in $BIN_DIR"
    return
  fi
  echo "install-deps: building $name $version"
  GOBIN="$BIN_DIR" CGO_ENABLED=0 go install "$pkg@$version"
  echo "$version" > "$mark"
}
go_tool staticcheck honnef.co/go/tools/cmd/staticcheck "$STATICCHECK_VERSION"
go_tool govulncheck golang.org/x/vuln/cmd/govulncheck "$GOVULNCHECK_VERSION"

# govulncheck's database: vuln.go.dev cannot be reached from every machine
# that runs the tests, the Go module proxy can. golang.org/x/vulndb carries
# every entry as an OSV file (data/osv); its own indexdb command lays them
# out as a database that `govulncheck -db file://...` reads.
if [ "$VULNDB_VERSION" = "latest" ]; then
  VULNDB_VERSION=$(cd / && go list -m -f '{{.Version}}' golang.org/x/vulndb@latest)
fi
VULNDB_DIR="$BIN_DIR/vulndb"
if [ -f "$VULNDB_DIR/index/modules.json" ] && [ -f "$BIN_DIR/.vulndb-version" ] && [ "$(cat "$BIN_DIR/.vulndb-version")" = "$VULNDB_VERSION" ]; then
  echo "install-deps: vulnerability database golang.org/x/vulndb@$VULNDB_VERSION already in $VULNDB_DIR"
else
  echo "install-deps: building the vulnerability database from golang.org/x/vulndb@$VULNDB_VERSION (about 2 minutes the first time)"
  (cd / && go mod download "golang.org/x/vulndb@$VULNDB_VERSION")
  src="$(go env GOMODCACHE)/golang.org/x/vulndb@$VULNDB_VERSION"
  [ -d "$src/data/osv" ] || { echo "install-deps: golang.org/x/vulndb@$VULNDB_VERSION has no data/osv" >&2; exit 1; }
  GOBIN="$BIN_DIR" CGO_ENABLED=0 go install "golang.org/x/vulndb/cmd/indexdb@$VULNDB_VERSION"
  rm -rf "$VULNDB_DIR.tmp"
  "$BIN_DIR/indexdb" -vulns "$src/data/osv" -out "$VULNDB_DIR.tmp"
  rm -rf "$VULNDB_DIR" && mv "$VULNDB_DIR.tmp" "$VULNDB_DIR"
  echo "$VULNDB_VERSION" > "$BIN_DIR/.vulndb-version"
fi
echo "install-deps: done (redis-server: $(command -v redis-server), minio: $BIN_DIR/minio, chromium: $(command -v chromium), staticcheck, govulncheck and its database in $BIN_DIR)"
