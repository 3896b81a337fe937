# Sourced by the build and test scripts. Selects the Go toolchain drover is
# built and tested with: the one go.mod's `toolchain` line names, a patch
# release of the `go` line's Go that carries the standard library's security
# fixes (govulncheck fails on the ones drover's code reaches). The go command
# downloads it once from the Go module proxy (about 75 MB, into the module
# cache). A GOTOOLCHAIN already set in the environment wins, so
# `GOTOOLCHAIN=local bash scripts/test.sh` tests with the installed Go.
if [ -z "${GOTOOLCHAIN:-}" ]; then
  GOTOOLCHAIN="$(sed -n 's/^toolchain  *//p' "$(dirname "${BASH_SOURCE[0]}")/../go.mod")"
  export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
fi
