# Two commands set up a fresh machine (see README):
#   make demo   install everything, build the demo workspace, render its weekly review
#   make test   install everything (with test extras and headless Chromium) and run every test
# uv installs the notebook stack in seconds (pip takes 1-2 minutes); pip is the fallback.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
PYTEST_ARGS ?=

PEERS_STAMP := $(VENV)/.peers-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: demo test test-fast install peers browser clean notebooks

install: $(STAMP)

# peer packages for the cross-checks; channelattribution compiles from source
# (about 3 minutes the first time; uv caches the wheel afterwards)
peers: $(PEERS_STAMP)

$(PEERS_STAMP): $(STAMP)
	@if $(PYTHON) -m uv --version >/dev/null 2>&1; then \
		$(PYTHON) -m uv pip install --quiet --python $(BIN)/python -e ".[dev,peers-slow]"; \
	else \
		$(BIN)/pip install --quiet -e ".[dev,peers-slow]"; \
	fi
	@rm -f $(VENV)/.peers-*
	@touch $(PEERS_STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv || true
	@if $(PYTHON) -m uv --version >/dev/null 2>&1; then \
		$(PYTHON) -m uv venv --quiet --allow-existing --python $(PYTHON) $(VENV) && \
		$(PYTHON) -m uv pip install --quiet --python $(BIN)/python -e ".[dev]"; \
	else \
		$(PYTHON) -m venv $(VENV) && $(BIN)/pip install --quiet -e ".[dev]"; \
	fi
	@rm -f $(VENV)/.installed-* $(VENV)/.peers-*
	@touch $(STAMP)

# Debian's chromium for the report and JupyterLab browser tests (Playwright drives it;
# no browser download). Installed only when missing and when we may use apt.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
			(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
			|| echo "warning: could not install chromium; browser tests will fail"; \
		else echo "warning: chromium missing; install it (apt-get install chromium) for the browser tests"; fi; }

demo: install
	$(BIN)/coordkit demo demo

test: install peers browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# everything but the slow, browser and Spark tests (for quick local loops)
test-fast: install
	$(BIN)/python -m pytest -m "not slow and not browser and not spark" $(PYTEST_ARGS)

# the notebooks ship inside the package (coordkit/notebooks/, the copy coordkit renders);
# notebooks/ holds identical copies to open in JupyterLab (tests/test_notebooks_committed_clean.py)
notebooks:
	cp coordkit/notebooks/*.ipynb notebooks/

clean:
	rm -rf $(VENV) demo reviews .pytest_cache .hypothesis
