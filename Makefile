# Two commands on a fresh machine (Python >= 3.11 and make): `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PLUGINS := $(wildcard plugins/*)
STAMP := $(VENV)/.installed
# xrayutilities' source distribution holds the ESRF ID10B SPEC file its RSM example (and our
# test of the rsm recipe against it) uses; fetched once, never at test time
SDIST_CACHE := .cache/sdist
XU_SDIST := $(SDIST_CACHE)/xrayutilities-1.8.0.tar.gz

.PHONY: demo test lint typecheck pytest bench docs clean

$(STAMP): pyproject.toml $(wildcard plugins/*/pyproject.toml) Makefile
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "nx5d_core needs Python >= 3.11, found " + sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,demo,docs,postgres,distributed,remote,serve]' $(foreach p,$(PLUGINS),-e '$(p)[test]')
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/nx5d demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check nx5d_core

typecheck: $(STAMP)
	$(BIN)/mypy nx5d_core $(addsuffix /src,$(PLUGINS))

$(XU_SDIST): | $(STAMP)
	-$(BIN)/python -m pip download --quiet --no-deps --no-binary xrayutilities xrayutilities==1.8.0 -d $(SDIST_CACHE)

pytest: $(STAMP) $(XU_SDIST)
	$(BIN)/python -m pytest

test: lint typecheck pytest

docs: $(STAMP) $(XU_SDIST)
	NX5D_INDEX=$(CURDIR)/docs/_build/index.sqlite IPYTHONDIR=$(CURDIR)/docs/_ipython $(BIN)/sphinx-build -W --keep-going -q -b html docs docs/_build/html
	@echo "docs built: docs/_build/html/index.html"

bench: $(STAMP) $(XU_SDIST)
	$(BIN)/python -m pip install --quiet -e 'plugins/nx5d-spec[bench]'
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
