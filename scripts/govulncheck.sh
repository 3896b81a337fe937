#!/usr/bin/env bash
# Runs govulncheck (the version scripts/install-deps.sh pinned) on every
# package, against the vulnerability database install-deps.sh built from the
# golang.org/x/vulndb module: vuln.go.dev itself is not reachable from every
# machine that runs the tests. Fails on any vulnerability that drover's code
# reaches in a module it requires. Vulnerabilities of the Go standard library
# are fixed only by a newer Go: scripts/toolchain.sh selects the patch release
# go.mod's `toolchain` line names, so they fail the run too; with
# DROVER_GOVULNCHECK_STDLIB=warn (for a run on an older local Go) they are
# printed and named as NOT CLEAN without failing it.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/toolchain.sh
BIN_DIR="${DROVER_TOOLS_BIN:-$(go env GOPATH)/bin}"
db="$BIN_DIR/vulndb"
if [ ! -x "$BIN_DIR/govulncheck" ] || [ ! -f "$db/index/modules.json" ]; then
  echo "govulncheck: not installed or no database in $db: run scripts/install-deps.sh" >&2
  exit 1
fi

echo "== govulncheck $(cat "$BIN_DIR/.govulncheck-version"), database golang.org/x/vulndb@$(cat "$BIN_DIR/.vulndb-version"), $(go env GOVERSION)"
rc=0
out=$("$BIN_DIR/govulncheck" -db "file://$db" ./... 2>&1) || rc=$?
printf '%s\n' "$out"
case $rc in
  0) exit 0 ;;
  3) ;; # vulnerabilities found: which kind is below
  *) echo "govulncheck: failed (exit $rc)" >&2; exit 1 ;;
esac

found=$(printf '%s\n' "$out" | sed -n 's/^ *Found in: *//p')
modules=$(printf '%s\n' "$found" | grep -v '^[^@]*@go[0-9]' || true)
if [ -n "$modules" ]; then
  echo "govulncheck: NOT CLEAN: drover's code reaches vulnerabilities in these modules (update them in go.mod):" >&2
  printf '  %s\n' $modules | sort -u >&2
  exit 1
fi
n=$(printf '%s\n' "$out" | grep -c '^Vulnerability #' || true)
fixed=$(printf '%s\n' "$out" | sed -n 's/^ *Fixed in: *[^@]*@//p' | sort -V | tail -1)
echo "govulncheck: NOT CLEAN: $n vulnerabilities of the Go standard library that drover's code reaches; the newest fix is in $fixed, this toolchain is $(go env GOVERSION) (GOTOOLCHAIN=$(go env GOTOOLCHAIN)). The required modules are clean." >&2
if [ "${DROVER_GOVULNCHECK_STDLIB:-fail}" = "fail" ]; then
  exit 1
fi
echo "govulncheck: the run goes on (DROVER_GOVULNCHECK_STDLIB=warn); building with $fixed or later fixes them." >&2
