# drover — run `make help` for the targets.
GO ?= go
# The Go toolchain go.mod's `toolchain` line names (a patch release with the
# standard library's security fixes; see scripts/toolchain.sh).
GOTOOLCHAIN ?= $(shell sed -n 's/^toolchain  *//p' go.mod)
export GOTOOLCHAIN
BIN ?= bin/drover

.PHONY: help build run test test-race unit lint bench deps fmt clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

build: ## build the static drover binary into bin/
	CGO_ENABLED=0 $(GO) build -o $(BIN) ./cmd/drover

run: ## run the server on the embedded default (multiprocessing, SQLite, local disk)
	$(GO) run ./cmd/drover server

deps: ## install what the tests need (redis-server, MinIO, Chromium, XGBoost, staticcheck, govulncheck)
	bash scripts/install-deps.sh

test: ## install test dependencies, then check (gofmt, vet, staticcheck, govulncheck) and run every test (what CI runs)
	bash scripts/test.sh

unit: ## run the tests that need no external service, quickly
	$(GO) test -short ./...

test-race: ## every test with the race detector
	bash scripts/test.sh -race

lint: ## gofmt, go vet, staticcheck and govulncheck (installed by make deps)
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet ./...
	"$${DROVER_TOOLS_BIN:-$$($(GO) env GOPATH)/bin}/staticcheck" ./...
	bash scripts/govulncheck.sh

bench: ## queue benchmark against asynq, and the engine benchmarks (see docs/performance.md)
	CGO_ENABLED=0 $(GO) build -o $(BIN) ./cmd/drover
	CGO_ENABLED=0 $(GO) build -o bin/drover-bench ./cmd/drover-bench
	bin/drover-bench queue --exe $(BIN)
	$(GO) test -run '^$$' -bench . ./internal/engine/...

fmt: ## format the code
	gofmt -w $$(git ls-files '*.go')

clean: ## remove build outputs and the default data directory
	rm -rf bin drover-data
