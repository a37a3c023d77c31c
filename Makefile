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
# The deployed stages run python3.12: SnapStart for Python needs 3.12 or newer, and chalice
# packages for the interpreter it runs under, binary wheels included. So `make package`
# runs chalice from a virtual environment of that interpreter (requirements.txt, and the dev
# pins of chalice and of boto3, which stands in for the runtime's own when make package runs
# the cold-path requests). PACKAGE_PYTHON is looked for on PATH, then where pyenv installs;
# set it to use another (then delete .venv-package).
PACKAGE_PYTHON_VERSION := 3.12
PYENV_PYTHONS = $(addsuffix /versions/$(PACKAGE_PYTHON_VERSION).*/bin/python$(PACKAGE_PYTHON_VERSION),$(PYENV_ROOT) \
  $(HOME)/.pyenv /root/.pyenv)
PACKAGE_PYTHON_CANDIDATES = python$(PACKAGE_PYTHON_VERSION) $(sort $(wildcard $(PYENV_PYTHONS)))
PACKAGE_PYTHON ?= $(shell for python in $(PACKAGE_PYTHON_CANDIDATES); do \
  [ "$$("$$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" = $(PACKAGE_PYTHON_VERSION) ] \
  && { command -v "$$python"; break; }; done)
PACKAGE_VENV := .venv-package
PACKAGE_INSTALLED := $(PACKAGE_VENV)/.installed

.PHONY: run test lint bench ops chromium package clean

$(INSTALLED): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(INSTALLED)

$(PACKAGE_INSTALLED): requirements.txt requirements-dev.txt
	@python="$(PACKAGE_PYTHON)"; [ -n "$$python" ] || { \
	  echo "FATAL: no CPython $(PACKAGE_PYTHON_VERSION) for make package (looked for: $(PACKAGE_PYTHON_CANDIDATES));" \
	  "install it or set PACKAGE_PYTHON=/path/to/python3.12" >&2; exit 1; }; \
	echo "$$python -m venv $(PACKAGE_VENV)"; "$$python" -m venv $(PACKAGE_VENV)
	echo '*' > $(PACKAGE_VENV)/.gitignore
	$(PACKAGE_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.txt \
	  $$(grep -E '^(chalice|boto3)==' requirements-dev.txt)
	touch $(PACKAGE_INSTALLED)

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

test: $(INSTALLED) $(PACKAGE_INSTALLED) $(CHECKOV) chromium lint
	CHECKOV=$(CHECKOV) $(BIN)/python -m pytest

bench: $(INSTALLED)
	$(BIN)/python -m bench

# make ops NAME=ops_contact_requests [INPUT=file.json]: an operator function against `make run`.
ops: $(INSTALLED)
	$(BIN)/python -m local_stage.ops $(NAME) $(INPUT)

# make package STAGE=prod [PACKAGE_OUT=folder]: one template (app + stateful resources) and the zip,
# in out/STAGE/. Then the cold path's bytecode for the runtime goes into the zip (found by
# serving the API's first requests from the zip on the emulator), and SnapStart onto the API
# function where the stage's config asks for it. Packaging talks to no AWS account; chalice
# only wants a region to name.
STAGE ?= dev
PACKAGE_OUT ?= out/$(STAGE)
package: $(INSTALLED) $(PACKAGE_INSTALLED)
	$(BIN)/python infra/merge_template.py $(STAGE) $(dir $(PACKAGE_OUT))merge-$(STAGE).json
	AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-east-1} $(PACKAGE_VENV)/bin/chalice package --stage $(STAGE) \
	  --merge-template $(dir $(PACKAGE_OUT))merge-$(STAGE).json $(PACKAGE_OUT)
	$(BIN)/python -m infra.package_bytecode $(PACKAGE_OUT) --stage $(STAGE) --python $(PACKAGE_VENV)/bin/python
	$(BIN)/python -m infra.snapstart $(STAGE) $(PACKAGE_OUT)/sam.json

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) $(PACKAGE_VENV) .pytest_cache .mypy_cache .local-stage.json out
