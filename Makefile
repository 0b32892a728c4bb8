# atlas-crawler. `make demo` and `make test` install what they need themselves.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install system-deps demo serve test pywb lint bench fuzz clean

install: system-deps $(VENV)/.installed

# Debian packages, only when missing: python3-venv (to make .venv) and chromium (the world map).
system-deps:
	@missing=""; \
	$(PYTHON) -c "import venv, ensurepip" 2>/dev/null || missing="$$missing python3-venv"; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

$(VENV)/.installed: requirements.txt requirements-dev.txt
	[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

demo: install
	$(PY) -m atlas_crawler.replica.demo

# The tables in Datasette on http://127.0.0.1:8001/ (docs/BROWSING.md): the latest run,
# else output/atlas.jsonl, else the demo's; ARGS names another and/or a port:
# make serve ARGS='output/atlas.jsonl --port 8002'.
serve: install
	$(PY) -m atlas_crawler.serve $(ARGS)

# The scheduled crawl of the live atlas (cron and systemd files in deploy/): a run folder
# under output/runs, `latest` switched when the run is complete. The console gets only the
# run folder, the changes and the outcome; the whole log is in the run folder's crawl.log.
# Each run adds itself to output/runs/history.sqlite (ATLAS_HISTORY; docs/HISTORY.md).
# The crawl command reads every ATLAS_* setting from the environment (ATLAS_BASE_URL=…
# make crawl crawls that mirror; ATLAS_RUNS_DIR moves the runs); ARGS adds options:
# make crawl ARGS='-s DOWNLOAD_DELAY=2 -a entry=map'. make exits 2 when the crawl fails;
# the crawl's own code is in its last line and in make's "Error N" (docs/SCHEDULED.md).
.PHONY: crawl
crawl: install
	@[ -n "$$ATLAS_CONTACT" ] || { echo "set ATLAS_CONTACT to your e-mail address (it goes into the User-Agent)" >&2; exit 2; }
	ATLAS_RUNS_DIR="$${ATLAS_RUNS_DIR:-output/runs}" ATLAS_HISTORY="$${ATLAS_HISTORY:-True}" \
	  $(VENV)/bin/scrapy crawl atlas --nolog $(ARGS)

test: install pywb lint
	$(PY) -m pytest

# pywb for tests/test_replay.py (replaying a dump offline), in a venv of its own: its
# brotlipy would shadow Brotli in .venv and break the crawl's decoding of br answers.
pywb: .venv-pywb/.installed

.venv-pywb/.installed:
	[ -x .venv-pywb/bin/python ] || $(PYTHON) -m venv .venv-pywb
	.venv-pywb/bin/pip install -q pywb==2.10.0
	touch $@

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

# The fast lane: ruff as `make lint` runs it, then every test that needs no crawl subprocess,
# no browser and no benchmark (markers e2e, browser, bench), the parser's property tests
# with fewer generated pages (tests/fast_lane.py). Under a minute; needs no Chromium.
.PHONY: test-fast
test-fast: $(VENV)/.installed
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m pytest -p tests.fast_lane -m "not e2e and not browser and not bench" -q

# atlas against plain Scrapy (run.py), the export, the archive and the re-parse of a
# 20,000-project dump (archive_bench.py; its on/off rounds at 5,000 projects), the parser's
# cost, the history store over 100 weekly runs of 2,000 projects (history_bench.py); then
# docs/BENCHMARKS.md written again from the JSON figures, and the short summary.
bench: install
	$(PY) benchmarks/run.py
	$(PY) benchmarks/export_bench.py
	$(PY) benchmarks/archive_bench.py --projects 20000 --cost-projects 5000
	$(PY) benchmarks/parser_cost.py --json docs/parser_cost.json
	$(PY) benchmarks/history_bench.py
	$(PY) benchmarks/summary.py --render

# The property tests of the parser with many more generated pages than in `make test`,
# then the mutation harness (tests/mutations.py) on thousands of mutated pages.
fuzz: install
	HYPOTHESIS_PROFILE=bench $(PY) -m pytest tests/test_parse_properties.py -q
	MUTATION_EXAMPLES=3000 MUTATION_SEED=2 $(PY) -m pytest tests/test_mutations.py -q -k no_silent_error

clean:
	rm -rf $(VENV) .venv-pywb .pytest_cache .ruff_cache output/demo
