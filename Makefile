# leash: every target installs what it needs first (`make setup` is idempotent and fast when done).
SHELL := /bin/bash
.DEFAULT_GOAL := help

export CARGO_TARGET_DIR ?= $(HOME)/.cache/leash/target
FORGE := node_modules/.bin/forge
ANVIL := node_modules/.bin/anvil
NPM_STAMP := node_modules/.leash-setup-stamp
CARGO_TEST := cargo test --workspace --locked

.PHONY: help setup build test test-forge test-rust test-solc-adapter test-account-fixtures account-fixtures abi demo bench bench-serve gas-snapshot build-cli e2e audit-ratio audit audit-mutants fmt lint clean

help: ## list targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

setup: $(NPM_STAMP) ## install the pinned Solidity toolchain and libraries (npm ci) and check cargo
	@command -v cargo >/dev/null || { echo "cargo not found: install Rust (rustup)"; exit 1; }

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@test -x $(FORGE) || { echo "forge missing after npm ci"; exit 1; }
	@touch $@

build: setup ## compile contracts (forge) and the Rust workspace
	$(FORGE) build
	cargo build --workspace --locked

test: setup test-solc-adapter test-account-fixtures test-forge test-rust e2e ## every test: solc adapter, account fixtures, forge, cargo workspace, end-to-end through anvil + alto

test-solc-adapter: setup
	bash tools/solc/test.sh

# The account bytecode the matrix deploys (tests/fixtures/accounts/precompiles.json) re-derived from the
# pinned @rhinestone/modulekit tarball (npm registry or npm's cache; integrity checked): tests/accounts/README.md.
test-account-fixtures: setup
	node tools/accounts/precompiles.mjs --check

account-fixtures: setup ## rewrite tests/fixtures/accounts/precompiles.json from the pinned modulekit tarball
	node tools/accounts/precompiles.mjs

# The ABI files the Rust bindings are generated from (crates/contracts/README.md, "ABI files"); the
# abi_fresh test fails with this command's name when they are stale.
abi: setup ## rewrite crates/contracts/abi/ from the compiled contracts (after changing a contract's ABI)
	LEASH_WRITE_ABI=1 cargo test --locked -p leash-contracts --test abi_fresh

# Two forge runs: the suite (cold-frame gas snapshots included), then the transaction-level gas snapshots of
# tests/gas/tx/, which are only meaningful with --isolate (each top-level call its own transaction).
test-forge: setup
	FORGE_SNAPSHOT_CHECK=true $(FORGE) test --no-match-path 'tests/gas/tx/*'
	FORGE_SNAPSHOT_CHECK=true $(FORGE) test --isolate --match-path 'tests/gas/tx/*'

# The cargo workspace, with a throwaway PostgreSQL cluster when its binaries are installed
# (scripts/postgres-test.sh exports LEASH_TEST_POSTGRES_URL; the store's and serve's tests then
# run on both engines, and say in one line when PostgreSQL is absent).
test-rust: setup
	bash scripts/postgres-test.sh $(CARGO_TEST)

build-cli: setup ## the leash binary (debug), used by make e2e
	cargo build --locked -p leash-cli

e2e: setup build-cli ## the demo through a real bundler: anvil + EntryPoints v0.7/v0.8 + alto + leash
	LEASH_CLI=$(CARGO_TARGET_DIR)/debug/leash bash e2e/test.sh

# The build first, with cargo's progress (a cold release build takes minutes on two cores: it must not
# look frozen), then the demo itself.
demo: setup ## the whole flow on an embedded in-process chain, each step printed
	@echo "make demo: building leash (release; the first build takes several minutes, cargo shows its progress)…"
	cargo build --locked --release -p leash-cli
	$(CARGO_TARGET_DIR)/release/leash demo

bench: setup ## benchmarks: forge gas snapshots, cargo bench, harness vs forge ratio (figures in BENCHMARKS.md)
	$(FORGE) test --match-path 'tests/gas/*.t.sol' -vv
	$(FORGE) test --isolate --match-path 'tests/gas/tx/*' -vv
	cargo bench --workspace --locked
	bash crates/audit/bench-ratio.sh

# A release build: the figures of BENCHMARKS.md ("leash serve under load") are taken on it.
bench-serve: setup ## leash serve under load on loopback: signed session ops/s and latency, SQLite then PostgreSQL
	cargo build --locked --release -p leash-cli
	LEASH_CLI=$(CARGO_TARGET_DIR)/release/leash bash tools/bench-serve/run.sh

gas-snapshot: setup ## rewrite the forge gas snapshots in snapshots/ (cold-frame and transaction-level)
	$(FORGE) test --match-path 'tests/gas/*.t.sol'
	$(FORGE) test --isolate --match-path 'tests/gas/tx/*'

audit: setup ## long property run (AUDIT_CASES, default 1000) ending with a summary table
	AUDIT_CASES=$${AUDIT_CASES:-1000} cargo run --locked --release -q -p leash-audit

audit-ratio: setup ## ops/s of the revm harness vs a forge invariant run of the same scenario (minutes)
	bash crates/audit/bench-ratio.sh

audit-mutants: setup ## plant each bug in a copy of the module and show the suite catches it (minutes)
	cargo run --locked --release -q -p leash-audit -- mutants

fmt: setup ## format Solidity and Rust
	$(FORGE) fmt
	cargo fmt --all

lint: setup ## forge fmt --check, cargo fmt --check, clippy with warnings denied
	$(FORGE) fmt --check
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --locked -- -D warnings

clean:
	rm -rf out cache
