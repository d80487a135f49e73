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
