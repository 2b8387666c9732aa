# Siquan: `make demo` runs a county's cycle through the four services; `make test` runs
# every test against the real RabbitMQ and PostgreSQL. Each installs what it needs.
SHELL := /bin/bash
export PATH := $(HOME)/.local/bin:$(PATH)
UV := $(shell command -v uv 2>/dev/null)
ifeq ($(UV),)
UV := $(HOME)/.local/bin/uv
endif
PYTEST_ARGS ?=

.PHONY: help uv install provision demo test test-unit lint contracts contracts-check bench clean

help:
	@echo "make demo | test | lint | contracts | bench | provision"

uv:
	@test -x "$(UV)" || python3 -m pip install --user --quiet uv || \
		python3 -m pip install --user --quiet --break-system-packages uv

install: uv
	$(UV) sync --frozen --quiet

provision: install
	$(UV) run python -m siquan.shared.provision all

demo: install
	$(UV) run python -m siquan.shared.operator.demo

test: install
	$(UV) run pytest $(PYTEST_ARGS)

test-unit: install
	$(UV) run pytest -m "not integration" $(PYTEST_ARGS)

lint: install
	$(UV) run ruff check .
	$(UV) run mypy contracts/src shared/src services/*/src/siquan/*/domain
	$(UV) run lint-imports

contracts: install
	$(UV) run python -m siquan.contracts.generate

contracts-check: install
	$(UV) run python -m siquan.contracts.generate --check

# Each benchmark prints JSON; sizes are the issues' targets (override, e.g. BENCH_ARGS=).
bench: install
	$(UV) run python -m siquan.shared.operator.bench
	$(UV) run python -m siquan.eligibility.bench --applications 100000
	@if $(UV) run python -c "import siquan.disbursement.bench" 2>/dev/null; then \
		$(UV) run python -m siquan.disbursement.bench; fi
	$(UV) run python -m siquan.tools.bench.oversight_ingest

clean:
	rm -rf .venv .pytest_cache .mypy_cache .ruff_cache
