# `make run` serves the store locally on an embedded AWS emulator; `make test` runs every test.
# Both build the virtual environment first, from nothing if need be.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
# checkov pins an older boto3 than the app's, so it lives in a virtual environment of its own.
CHECKOV_VENV := .venv-checkov
CHECKOV := $(CHECKOV_VENV)/bin/checkov
CHECKOV_VERSION := 3.3.30
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test lint bench ops chromium package clean

$(INSTALLED): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(INSTALLED)

$(CHECKOV):
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --disable-pip-version-check checkov==$(CHECKOV_VERSION)

run: $(INSTALLED)
	$(BIN)/python -m local_stage.run

# The browser tests need Debian's chromium; a browser test never skips, so no chromium is an error.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian chromium for the browser tests"; \
	  $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q chromium; \
	} || { echo "FATAL: could not install Debian chromium (apt-get install chromium)" >&2; exit 1; }
	@command -v chromium >/dev/null 2>&1 || { echo "FATAL: chromium is still missing" >&2; exit 1; }

# The gates before the tests: the layering and purpose contracts (.importlinter), then types.
lint: $(INSTALLED)
	$(BIN)/lint-imports
	$(BIN)/mypy

test: $(INSTALLED) $(CHECKOV) chromium lint
	CHECKOV=$(CHECKOV) $(BIN)/python -m pytest

bench: $(INSTALLED)
	$(BIN)/python -m bench

# make ops NAME=ops_contact_requests [INPUT=file.json]: an operator function against `make run`.
ops: $(INSTALLED)
	$(BIN)/python -m local_stage.ops $(NAME) $(INPUT)

# make package STAGE=prod: one template (app + stateful resources) and the zip, in out/STAGE/.
# Packaging talks to no AWS account; chalice only wants a region to name.
STAGE ?= dev
package: $(INSTALLED)
	$(BIN)/python infra/merge_template.py $(STAGE) out/merge-$(STAGE).json
	AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-east-1} $(BIN)/chalice package --stage $(STAGE) \
	  --merge-template out/merge-$(STAGE).json out/$(STAGE)

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) .pytest_cache .mypy_cache .local-stage.json out
