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
run: dashboard build ## Build the dashboard and the binary, and run `picloud serve` (embedded database in ./.picloud; ARGS="..." adds flags)
	./bin/picloud serve $(ARGS)

.PHONY: test
test: check ## Run the checks, every Go test against a real PostgreSQL, then the dashboard's tests
	go test ./...
	$(MAKE) test-dashboard

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

# The dashboard builds into dashboard/build/app (not committed), which the
# binary embeds; without it the binary serves the placeholder page
# dashboard/build/index.html. Both steps run only when their inputs changed.
DASHBOARD_SRC := $(shell find dashboard/src dashboard/static -type f 2>/dev/null) dashboard/svelte.config.js dashboard/vite.config.js

.PHONY: dashboard
dashboard: dashboard/build/app/index.html ## Build the dashboard into dashboard/build/app (needs Node.js >= 20.19 and npm)

dashboard/node_modules/.ci-stamp: dashboard/package-lock.json
	@command -v npm >/dev/null || { echo "the dashboard needs Node.js >= 20.19 and npm"; exit 1; }
	cd dashboard && npm ci --no-audit --no-fund
	touch $@

dashboard/build/app/index.html: dashboard/node_modules/.ci-stamp $(DASHBOARD_SRC)
	cd dashboard && npm run build

.PHONY: test-dashboard
test-dashboard: dashboard build ## The dashboard's component tests, then its end-to-end tests in headless Chromium (/usr/bin/chromium) against bin/picloud
	cd dashboard && npm run test:unit
	cd dashboard && npm run test:e2e

.PHONY: cluster
cluster: build ## A local cluster: a manager and NODES (3) nodes on loopback sharing one database; Ctrl-C stops all (deploy/Caddyfile puts Caddy in front)
	deploy/cluster.sh $(or $(NODES),3)

.PHONY: clean
clean: ## Remove bin/ (the data in ./.picloud stays)
	rm -rf bin

.PHONY: guest
guest: ## Build the sandbox's guest (the Rhai interpreter for wasip1) into runtime/internal/guestbin/guest.wasm
	GOOS=wasip1 GOARCH=wasm go vet ./guest/wasm
	GOOS=wasip1 GOARCH=wasm CGO_ENABLED=0 go build -trimpath -buildvcs=false -buildmode=c-shared -o runtime/internal/guestbin/guest.wasm ./guest/wasm

.PHONY: release
release: guest dashboard ## Build bin/picloud with the guest and the dashboard embedded: runs without the source tree or Go
	go build -tags picloud_embed -trimpath -ldflags "-X main.version=$(VERSION)" -o bin/picloud ./cmd/picloud

.PHONY: bench
bench: bench-load bench-interp bench-events ## The load bench, the interpreter vs its peers, the outbox vs River, then the sandbox benchmarks behind docs/RATIONALE.md (invocation latency, memory, workloads vs native and CPython)
	go test -run '^$$' -bench 'InvokeHello|NewScriptVersion|ColdApp|StartToFirstInvoke|IdleInstance' -benchtime 3s -timeout 30m ./runtime
	go test -run '^$$' -bench 'Workloads' -benchtime 3x -timeout 60m ./runtime

.PHONY: bench-interp
bench-interp: ## The eight interpreter workloads in our interpreter, CPython (if python3 is present), gopher-lua, goja and starlark-go: median CPU ms of 5 interleaved runs and ratios (bench/peers, a module of its own)
	cd bench/peers && go run . -runs $(or $(RUNS),5)

.PHONY: bench-events
bench-events: ## The outbox vs River v0.51.2 on one PostgreSQL: publishes/s, deliveries/s and publish → script start latency, medians of 5 interleaved runs (bench/events, a module of its own; ARGS="..." adds flags)
	cd bench/events && go run . -runs $(or $(RUNS),5) $(ARGS)

.PHONY: bench-cluster
bench-cluster: ## Cluster scaling bench: HTTP requests/s and CPU per request with 1, 2 and 3 nodes on this machine (docs/OPERATIONS.md)
	PICLOUD_SCALING=1 go test -run TestScaling -count 1 -v -timeout 20m ./cluster/chaos

.PHONY: soak
soak: ## Soak: a manager and two nodes under steady traffic for SOAK (3m), RSS and goroutines sampled from /metrics must stay flat
	PICLOUD_SOAK=$(or $(SOAK),3m) go test -run TestSoak -count 1 -v -timeout 60m ./cluster/chaos

.PHONY: bench-load
bench-load: build ## Load bench on loopback: a hello-world script endpoint vs a bare gin route, medians of 5 runs (ARGS="..." adds loadgen flags)
	go run ./cmd/loadgen --picloud bin/picloud $(ARGS)
