# triage: `make demo` and `make test` work on a fresh Debian machine (see README).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
# Debian packages the test suite needs: a real IMAP server, PostgreSQL, a headless browser.
APT_PACKAGES := dovecot-imapd postgresql chromium fonts-liberation
SYSTEM_STAMP := $(VENV)/.system-packages

.PHONY: demo test lint venv system-packages clean demo-clean bench

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test,postgres]'
	@rm -f $(VENV)/.installed-*
	@touch $@

system-packages: $(SYSTEM_STAMP)

$(SYSTEM_STAMP): | $(STAMP)
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "installing system packages:$$missing"; \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	  else \
	    echo "error: the tests need these Debian packages:$$missing"; \
	    echo "fix: run 'sudo apt-get install$$missing' (or run make test as root), then try again"; \
	    exit 1; \
	  fi; \
	fi
	@touch $@

demo: $(STAMP)
	$(BIN)/triage demo --workdir demo

demo-clean:
	rm -rf demo

test: $(STAMP) $(SYSTEM_STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .

BENCHMARKS := burst.py scale.py classifier.py corpus.py deadlines.py imap_ingest.py multi_daemon.py \
              parse_render.py \
              social_poll.py soak.py templates.py web.py
# every benchmark, one after the other (about an hour on 2 cores); each rewrites its section
# of docs/benchmarks.md
bench: $(STAMP) $(SYSTEM_STAMP)
	set -e; for f in $(BENCHMARKS); do echo "== $$f"; $(BIN)/python bench/$$f; done
	$(BIN)/python bench/imap_ingest.py --mix realistic
	$(BIN)/python bench/soak.py --workers 1

clean:
	rm -rf $(VENV) demo .pytest_cache build *.egg-info
