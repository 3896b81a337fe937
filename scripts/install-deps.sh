#!/usr/bin/env bash
# Installs what drover's tests need on a Debian machine: redis-server, Chromium,
# Debian's XGBoost library (optional engine backend) and the MinIO server built
# from its Go module at a pinned version. Safe to run again: it skips what is there.
set -euo pipefail

MINIO_VERSION="v0.0.0-20260212201848-7aac2a2c5b7c"
BIN_DIR="${DROVER_TOOLS_BIN:-$(go env GOPATH)/bin}"

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
echo "install-deps: done (redis-server: $(command -v redis-server), minio: $BIN_DIR/minio, chromium: $(command -v chromium))"
