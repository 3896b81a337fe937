#!/usr/bin/env bash
# Runs the Python client's pytest suite (clients/python/tests) against real
# drover servers, a real redis-server and a real worker.
#
# Debian's python3 is "externally managed" (PEP 668): pip refuses to install
# into it. So the client goes into a throw-away virtual environment made with
# --system-site-packages, which sees Debian's pytest, pandas and setuptools;
# pip installs only the client there, offline (--no-index) and without build
# isolation (the build uses Debian's setuptools). Nothing outside the
# temporary directory is changed.
#
# Under CI=true a missing python3, pytest, pandas, setuptools or venv fails
# the run; elsewhere it is reported and the suite is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

PY="${DROVER_PYTHON:-/usr/bin/python3}"

missing() {
  if [ "${CI:-}" = "true" ]; then
    echo "test-python: FAIL: $1 (CI=true; run scripts/install-deps.sh)" >&2
    exit 1
  fi
  echo "test-python: SKIP: $1 (run scripts/install-deps.sh)" >&2
  exit 0
}

[ -x "$PY" ] || missing "no $PY"
for mod in pytest pandas setuptools venv ensurepip; do
  "$PY" -c "import $mod" >/dev/null 2>&1 || missing "$PY cannot import $mod"
done

work="$(mktemp -d "${TMPDIR:-/tmp}/drover-pytest-XXXXXX")"
trap 'rm -rf "$work"' EXIT

"$PY" -m venv --system-site-packages "$work/venv"
# A copy, so the build's files (build/, *.egg-info) stay out of the tree.
cp -r clients/python "$work/src"
rm -rf "$work/src/build" "$work/src/src/"*.egg-info
"$work/venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-index --no-build-isolation --no-deps "$work/src"

# One binary for every test (the suite builds its own when this is unset).
CGO_ENABLED=0 go build -o "$work/drover" ./cmd/drover

set +e
(cd clients/python && DROVER_TEST_BIN="$work/drover" "$work/venv/bin/python" -m pytest -q -p no:cacheprovider "$@" tests)
rc=$?
set -e
if [ $rc -eq 5 ]; then
  echo "test-python: FAIL: pytest collected no tests (exit code 5)" >&2
  exit 1
fi
exit $rc
