# Siquan: `make demo` runs a county's cycle through the four services; `make test` runs
# every test against the real RabbitMQ and PostgreSQL. Each installs what it needs.
SHELL := /bin/bash
export PATH := $(HOME)/.local/bin:$(PATH)
UV := $(shell command -v uv 2>/dev/null)
ifeq ($(UV),)
UV := $(HOME)/.local/bin/uv
endif
PYTEST_ARGS ?=
# `make test` runs the test files on this many workers (pytest-xdist), a file at a time on
# one worker (its module fixtures: a vhost, databases, services), in collection order: the
# end-to-end and browser files under tests/ first, so that the longest start early.
TEST_WORKERS ?= 3

.PHONY: help uv fonts install provision demo up down test test-unit lint contracts contracts-check \
	contracts-release asyncapi-parser bench chaos clean cluster-up cluster-down messages browser axe

help:
	@echo "make demo | up | down | test | lint | contracts | bench | chaos | provision"

uv:
	@test -x "$(UV)" || python3 -m pip install --user --quiet uv || \
		python3 -m pip install --user --quiet --break-system-packages uv

# The CJK font the PDF documents embed (Debian's fonts-noto-cjk), installed when missing;
# SIQUAN_PDF_FONT_FILE points the services at another font.
CJK_FONT := /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
fonts:
	@test -f "$(CJK_FONT)" || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get install -y --no-install-recommends fonts-noto-cjk >/dev/null || \
		{ $$SUDO apt-get update >/dev/null && \
		  $$SUDO apt-get install -y --no-install-recommends fonts-noto-cjk >/dev/null; }; }
	@test -f "$(CJK_FONT)" || { echo "fonts-noto-cjk did not install $(CJK_FONT)" >&2; exit 1; }

# Debian's chromium for the browser tests (Playwright drives it; its own browser download
# is not used), installed when missing.
browser:
	@command -v chromium >/dev/null || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get install -y --no-install-recommends chromium >/dev/null || \
		{ $$SUDO apt-get update >/dev/null && \
		  $$SUDO apt-get install -y --no-install-recommends chromium >/dev/null; }; }
	@command -v chromium >/dev/null || { echo "chromium did not install" >&2; exit 1; }

# axe-core, the accessibility scan the browser tests inject, from the committed lock file.
axe:
	@test -f tools/axe/node_modules/axe-core/axe.min.js || { \
		command -v npm >/dev/null || { \
			SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
			$$SUDO apt-get install -y --no-install-recommends npm >/dev/null || \
			{ $$SUDO apt-get update >/dev/null && \
			  $$SUDO apt-get install -y --no-install-recommends npm >/dev/null; }; }; \
		cd tools/axe && npm ci --no-audit --no-fund --ignore-scripts; }

# Compiled modules on disk, for the installed packages and the workspace's own: where the
# environment sets PYTHONDONTWRITEBYTECODE, Python never writes them, and every process
# (each service the tests start, each test worker) would compile all it imports afresh,
# about three of the five CPU-seconds a service takes to start. compileall leaves a module
# compiled since its last change alone.
install: uv fonts
	$(UV) sync --frozen --quiet --compile-bytecode
	$(UV) run --frozen --no-sync python -m compileall -q -j 0 \
		contracts/src shared/src tools/src $(wildcard services/*/src)

provision: install
	$(UV) run python -m siquan.shared.provision all

# DEMO_ARGS="--instances 2" runs two competing instances of each service.
DEMO_ARGS ?=
demo: install
	$(UV) run python -m siquan.shared.operator.demo $(DEMO_ARGS)

# `make up` runs the same cycle and leaves the services running, printing their addresses;
# `make down` stops them and removes their vhost and databases.
up: install
	$(UV) run python -m siquan.shared.operator.demo --up $(DEMO_ARGS)

down: install
	$(UV) run python -m siquan.shared.operator.demo --down

test: install browser axe
	$(UV) run pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder -m "not chaos" --durations=30 \
		$(PYTEST_ARGS)

test-unit: install
	$(UV) run pytest -m "not integration" $(PYTEST_ARGS)

lint: install
	$(UV) run ruff check .
	$(UV) run mypy contracts/src shared/src services/*/src/siquan/*/domain
	$(UV) run lint-imports

contracts: install
	$(UV) run python -m siquan.tools.topology
	$(UV) run python -m siquan.shared.provision topology
	$(UV) run python -m siquan.contracts.generate
	$(UV) run python -m siquan.tools.openapi
	$(UV) run python infra/k8s/topology.py

# Fails when the committed documents drift from the code, or when a message changed in a
# way its released schema (contracts/released/) does not allow within its major version.
contracts-check: install asyncapi-parser
	$(UV) run python -m siquan.contracts.generate --check
	$(UV) run python -m siquan.tools.openapi --check
	$(UV) run python -m siquan.contracts.compatibility
	node tools/asyncapi/validate.mjs contracts/asyncapi/*.yaml

# The official AsyncAPI parser, from the committed package-lock.json (the tests install it
# the same way when it is missing).
asyncapi-parser:
	@test -f tools/asyncapi/node_modules/@asyncapi/parser/package.json || \
		(cd tools/asyncapi && npm ci --no-audit --no-fund --ignore-scripts)

# Records the current schemas as released, after the same compatibility check.
contracts-release: install
	$(UV) run python -m siquan.contracts.compatibility --release

# The foundation's county cycle, then the province-scale benchmarks judged against their
# targets (ratios to the raw speed measured in the same run): the summary with every
# benchmark's JSON is written to bench/results/latest.json; exit 1 when a target is missed.
# BENCH_ARGS passes options, e.g. BENCH_ARGS="--instances 2", "--scale oversight=3" or
# "--only payment_run".
bench: install
	$(UV) run python -m siquan.shared.operator.bench
	$(UV) run python -m siquan.tools.bench.suite $(BENCH_ARGS)

# A fault campaign over a county year of payment runs: faults at random from a printed
# seed (CHAOS_ARGS="--seed N" reruns them); JSON printed and written to
# bench/results/chaos.json; fails when a promise does not hold. It runs on a RabbitMQ node
# and a PostgreSQL cluster of its own (started and removed by it), which it also restarts
# and exhausts; CHAOS_ARGS=--no-own-servers runs it on the machine's servers instead.
CHAOS_ARGS ?=
chaos: install
	$(UV) run pytest -m chaos $(PYTEST_ARGS)
	$(UV) run python -m siquan.tools.chaos --own-servers $(CHAOS_ARGS)

# A three-node RabbitMQ cluster on loopback (ports 5701-5703) from the local package.
cluster-up: install
	$(UV) run python -m siquan.shared.rabbit_cluster up --dir var/rabbit-cluster

cluster-down: install
	$(UV) run python -m siquan.shared.rabbit_cluster down --dir var/rabbit-cluster

clean:
	rm -rf .venv .pytest_cache .mypy_cache .ruff_cache

# The consoles' message catalogues: extract the text of the templates and code, merge it
# into each .po (the source, translated by hand), and compile the .mo files that are
# committed next to them (a test fails when a .mo no longer matches its .po).
CATALOGUES := shared/src/siquan/shared/console:console \
	shared/src/siquan/shared/accounts:accounts \
	services/oversight/src/siquan/oversight/public:messages \
	services/oversight/src/siquan/oversight/console:messages \
	services/eligibility/src/siquan/eligibility/console:messages \
	services/fund_custody/src/siquan/fund_custody/console:messages \
	services/disbursement/src/siquan/disbursement/console:messages
messages: install
	@for entry in $(CATALOGUES); do \
		dir=$${entry%%:*}; domain=$${entry##*:}; \
		po=$$dir/locale/zh_CN/LC_MESSAGES/$$domain.po; \
		$(UV) run pybabel -q extract -F $$dir/babel.cfg -k _ --no-location \
			--sort-output -o $$dir/locale/$$domain.pot $$dir && \
		if [ -f $$po ]; then \
			$(UV) run pybabel -q update -i $$dir/locale/$$domain.pot -d $$dir/locale \
				-D $$domain -l zh_CN --no-fuzzy-matching; \
		else \
			$(UV) run pybabel -q init -i $$dir/locale/$$domain.pot -d $$dir/locale \
				-D $$domain -l zh_CN; \
		fi && \
		$(UV) run pybabel -q compile -d $$dir/locale -D $$domain -l zh_CN --statistics \
			|| exit 1; \
	done
