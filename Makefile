# Tracklet: `make demo` runs the demo, `make test` runs the tests; both set up .venv first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck bench clean web

# The web dashboard (web/): npm ci when the lock file changed, a build when a source did.
# The bundle lands in src/tracklet/server/webui (gitignored), served by the server at /.
WEB_DEPS := web/node_modules/.package-lock.json
WEB_BUNDLE := src/tracklet/server/webui/index.html
WEB_SOURCES := $(shell find web/src -type f 2>/dev/null) web/index.html web/package.json \
	web/vite.config.ts web/tsconfig.json

$(WEB_DEPS): web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	touch $(WEB_DEPS)

$(WEB_BUNDLE): $(WEB_DEPS) $(WEB_SOURCES)
	cd web && npm run build
	touch $(WEB_BUNDLE)

web: $(WEB_BUNDLE)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,integrations]'
	touch $(STAMP)

demo: $(STAMP) $(WEB_BUNDLE)
	$(VENV)/bin/tracklet demo

test: $(STAMP) $(WEB_BUNDLE)
	$(VENV)/bin/ruff check --no-cache src tests benchmarks
	$(VENV)/bin/mypy
	$(PY) -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check --no-cache src tests benchmarks

typecheck: $(STAMP)
	$(VENV)/bin/mypy

bench: $(STAMP)
	$(PY) benchmarks/bench_log.py
	$(PY) benchmarks/bench_ingest.py
	$(PY) benchmarks/bench_server.py

clean:
	rm -rf $(VENV) build *.egg-info
