# PiCloud. `make` alone lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(PATH)

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
SQLC := go tool -modfile=tools/go.mod sqlc

.PHONY: help
help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: ## Build bin/picloud
	go build -ldflags "-X main.version=$(VERSION)" -o bin/picloud ./cmd/picloud

.PHONY: run
run: build ## Build and run `picloud serve` (embedded database in ./.picloud; ARGS="..." adds flags)
	./bin/picloud serve $(ARGS)

.PHONY: test
test: check ## Run the checks, then every test against a real PostgreSQL
	go test ./...

.PHONY: check
check: ## go vet, gofmt, go mod tidy and sqlc diff: fail on any finding
	go vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	go mod tidy -diff
	cd tools && go mod tidy -diff
	$(SQLC) diff -f db/sqlc.yaml

.PHONY: generate
generate: ## Regenerate the query code in db/internal/dbsqlc from db/queries and db/migrations
	$(SQLC) generate -f db/sqlc.yaml

.PHONY: dashboard
dashboard: ## Build the dashboard into dashboard/build (needs Node.js and npm)
	@if [ ! -f dashboard/package.json ]; then echo "dashboard/package.json does not exist yet: the dashboard's source has not been added"; exit 1; fi
	cd dashboard && npm ci && npm run build

.PHONY: clean
clean: ## Remove bin/ (the data in ./.picloud stays)
	rm -rf bin

.PHONY: guest
guest: ## Build the sandbox's guest (the Rhai interpreter for wasip1) into runtime/internal/guestbin/guest.wasm
	GOOS=wasip1 GOARCH=wasm go vet ./guest/wasm
	GOOS=wasip1 GOARCH=wasm CGO_ENABLED=0 go build -trimpath -buildvcs=false -buildmode=c-shared -o runtime/internal/guestbin/guest.wasm ./guest/wasm

.PHONY: release
release: guest ## Build bin/picloud with the guest embedded: runs without the source tree or Go
	go build -tags picloud_embed -trimpath -ldflags "-X main.version=$(VERSION)" -o bin/picloud ./cmd/picloud

.PHONY: bench
bench: ## Sandbox benchmarks behind docs/RATIONALE.md (invocation latency, memory, workloads vs native and CPython)
	go test -run '^$$' -bench 'InvokeHello|NewScriptVersion|ColdApp|StartToFirstInvoke|IdleInstance' -benchtime 3s -timeout 30m ./runtime
	go test -run '^$$' -bench 'Workloads' -benchtime 3x -timeout 60m ./runtime
