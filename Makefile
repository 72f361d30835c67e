# cdnops.cdn — every command a developer or CI needs. A fresh machine needs only Python 3.10+, pip and make.
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed
# The collection is developed at the repository root; Ansible finds it through this link.
COLLECTIONS := $(CURDIR)/build/collections
LINK := $(COLLECTIONS)/ansible_collections/cdnops/cdn
SANITY_ROOT := $(CURDIR)/build/sanity
SANITY_COPY := $(SANITY_ROOT)/ansible_collections/cdnops/cdn
SANITY_VENV := .venvs/sanity
SANITY_PYTHON_VERSION := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])')
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export ANSIBLE_NOCOLOR := 1
export PATH := $(BIN):$(PATH)

.PHONY: help venv collection lint unit integration sanity test ci-extra demo clean docs packaging importer compat changelog-check bench bench-smoke

help:
	@echo "make test   - set up everything and run every check (lint, unit, emulator, integration, sanity)"
	@echo "make demo   - purge on every provider against the local provider emulator"
	@echo "make bench  - the bulk-purge benchmark (docs/performance.md)"
	@echo "make lint | unit | integration | sanity - one part of make test"
	@echo "make docs | packaging | importer | compat | changelog-check - slower checks CI runs after make test (make ci-extra)"

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(STAMP)

collection: $(STAMP)
	@mkdir -p $(dir $(LINK))
	@ln -sfn $(CURDIR) $(LINK)

lint: collection
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/yamllint -s .
	$(BIN)/ansible-lint --offline roles/ playbooks/
	# What is derived from the provider adapters (doc fragment, role options, README table) must be up to date.
	PYTHONPATH=$(COLLECTIONS) $(BIN)/python scripts/gen_provider_docs.py --check
	cd $(COLLECTIONS) && $(BIN)/mypy --config-file $(CURDIR)/pyproject.toml -p ansible_collections.cdnops.cdn.plugins.module_utils

unit: collection
	$(BIN)/python -m pytest tests/unit tests/emulator -q

integration: collection
	$(BIN)/python -m pytest tests/integration -q -n 2

# ansible-test wants the collection at ansible_collections/cdnops/cdn in its own git tree.
sanity: $(STAMP)
	rm -rf $(SANITY_ROOT)
	mkdir -p $(SANITY_COPY)
	git ls-files -co --exclude-standard | tar -cf - -T - | tar -xf - -C $(SANITY_COPY)
	cd $(SANITY_COPY) && git init -q && git add -A
	test -x $(SANITY_VENV)/bin/ansible-test || ($(PYTHON) -m venv $(SANITY_VENV) && $(SANITY_VENV)/bin/python -m pip install --quiet "ansible-core>=2.19,<2.20")
	# ansible-test downloads a pip bootstrap script from a host we cannot reach; give it an offline one.
	mkdir -p $(HOME)/.ansible/test/cache
	for version in $$($(SANITY_VENV)/bin/python -c "import re, ansible_test, pathlib; print(' '.join(re.findall(r\"pip='([0-9.]+)'\", (pathlib.Path(ansible_test.__file__).parent / '_internal/python_requirements.py').read_text())))"); do \
	  cp tests/sanity/offline_get_pip.py $(HOME)/.ansible/test/cache/get_pip_$$(echo $$version | tr . _).py; done
	cd $(SANITY_COPY) && $(CURDIR)/$(SANITY_VENV)/bin/ansible-test sanity --local --requirements --python $(SANITY_PYTHON_VERSION) --color no

# Bulk-purge benchmark against the provider emulator (docs/performance.md): 8 to 20 minutes.
bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

# Its small version: fails only when a benchmark gives a wrong answer, never on timing.
bench-smoke: $(STAMP)
	$(BIN)/python benchmarks/run.py --smoke

test: lint unit integration sanity bench-smoke

# antsibull-docs lint of every plugin, role and guide, and the docsite: HTML in build/docs/html.
docs:
	scripts/docs.sh

# Build the tarball, install it alone and purge through it; execution-environment build context.
packaging: $(STAMP)
	scripts/packaging_tests.sh

# What Galaxy runs on upload (galaxy-importer, offline), plus ansible-test sanity on the tarball.
importer:
	scripts/galaxy_importer.sh

# Unit and integration tests on the oldest supported ansible-core. make test runs them on the newest one that
# installs on this Python (the main venv); `scripts/compat.sh 2.16 latest` runs both in venvs of their own.
compat:
	scripts/compat.sh 2.16

# A plugins/ change must come with a changelog fragment (rule at the top of the script).
changelog-check:
	$(PYTHON) scripts/check_changelog_fragment.py

# Slower suites that CI runs after make test.
ci-extra: demo changelog-check packaging docs importer compat

demo: collection
	$(BIN)/python demo/run_demo.py

clean:
	rm -rf $(VENV) .venvs build collections .pytest_cache .ruff_cache
