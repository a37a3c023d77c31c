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
# the cold-path requests). PACKAGE_PYTHON is looked for among PACKAGE_PYTHON_CANDIDATES: on
# PATH, then where pyenv installs; set it to use another (then delete .venv-package). An empty
# value (`make PACKAGE_PYTHON=`, or PACKAGE_PYTHON_CANDIDATES=; on the command line or in the
# environment) means none is found.
PACKAGE_PYTHON_VERSION := 3.12
PYENV_PYTHONS = $(addsuffix /versions/$(PACKAGE_PYTHON_VERSION).*/bin/python$(PACKAGE_PYTHON_VERSION),$(PYENV_ROOT) \
  $(HOME)/.pyenv /root/.pyenv)
PACKAGE_PYTHON_CANDIDATES ?= python$(PACKAGE_PYTHON_VERSION) $(sort $(wildcard $(PYENV_PYTHONS)))
ifeq ($(origin PACKAGE_PYTHON),undefined)
PACKAGE_PYTHON := $(shell for python in $(PACKAGE_PYTHON_CANDIDATES); do \
  [ "$$("$$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" = $(PACKAGE_PYTHON_VERSION) ] \
  && { command -v "$$python"; break; }; done)
endif
PACKAGE_VENV := .venv-package
PACKAGE_INSTALLED := $(PACKAGE_VENV)/.installed
# Where none is found, `make package` refuses: its package would not be the deployed runtime's.
# PACKAGE_FOR_TESTS=1 is for the deploy tests alone (tests/deploy/conftest.py): then, and only
# where none is found, chalice runs from .venv, so the package's runtime is the default
# interpreter's (python3.11, say), its bytecode is compiled for that one, and infra.snapstart
# puts SnapStart over that older runtime with a warning, so that the template's shape is still
# checked. Lambda has no SnapStart for such a runtime: never deploy that package.
ifneq ($(strip $(PACKAGE_PYTHON)),)
PACKAGE_BIN := $(PACKAGE_VENV)/bin
PACKAGE_ENV := $(PACKAGE_INSTALLED)
else ifeq ($(PACKAGE_FOR_TESTS),1)
PACKAGE_BIN := $(BIN)
PACKAGE_ENV := package-with-default-python
else
PACKAGE_BIN := $(PACKAGE_VENV)/bin
PACKAGE_ENV := no-package-python
endif
SNAPSTART_FLAGS := $(if $(filter 1,$(PACKAGE_FOR_TESTS)),--older-runtime-for-tests)

.PHONY: run test lint bench ops chromium package preflight deploy clean no-package-python package-with-default-python

$(INSTALLED): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(INSTALLED)

$(PACKAGE_INSTALLED): $(if $(strip $(PACKAGE_PYTHON)),,no-package-python) requirements.txt requirements-dev.txt
	"$(PACKAGE_PYTHON)" -m venv $(PACKAGE_VENV)
	echo '*' > $(PACKAGE_VENV)/.gitignore
	$(PACKAGE_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.txt \
	  $$(grep -E '^(chalice|boto3)==' requirements-dev.txt)
	touch $(PACKAGE_INSTALLED)

no-package-python:
	@echo "FATAL: no CPython $(PACKAGE_PYTHON_VERSION) for make package, and the deployed stages run" \
	  "python$(PACKAGE_PYTHON_VERSION) ($(if $(filter file,$(origin PACKAGE_PYTHON)),looked for:\
	  $(or $(strip $(PACKAGE_PYTHON_CANDIDATES)),nothing),PACKAGE_PYTHON is empty));" \
	  "install it or set PACKAGE_PYTHON=/path/to/python$(PACKAGE_PYTHON_VERSION)" >&2; exit 1

package-with-default-python: $(INSTALLED)
	@echo "WARNING (PACKAGE_FOR_TESTS, tests only): no CPython $(PACKAGE_PYTHON_VERSION) found; packaging with" \
	  "$(BIN)/python ($$($(BIN)/python -c 'import sys; print("python%d.%d" % sys.version_info[:2])')), not the" \
	  "deployed runtime: never deploy this package" >&2

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

# Where no CPython 3.12 is found, the deploy tests package prod with .venv's interpreter
# (PACKAGE_FOR_TESTS) and say so; every test still runs.
test: $(INSTALLED) $(if $(strip $(PACKAGE_PYTHON)),$(PACKAGE_INSTALLED)) $(CHECKOV) chromium lint
	CHECKOV=$(CHECKOV) $(BIN)/python -m pytest

bench: $(INSTALLED)
	$(BIN)/python -m bench

# make ops NAME=ops_contact_requests [INPUT=file.json]: an operator function against `make run`.
# With STAGE=prod (or dev) on make's command line, the deployed function of that stage instead,
# by its name, with the caller's AWS credentials (local_stage/ops.py). STAGE from the environment
# or the default below never reaches a deployed stage.
ops: $(INSTALLED)
	$(BIN)/python -m local_stage.ops $(if $(filter command line,$(origin STAGE)),--stage $(STAGE)) $(NAME) $(INPUT)

# make package STAGE=prod [PACKAGE_OUT=folder]: one template (app + stateful resources) and the zip,
# in out/STAGE/. Then the cold path's bytecode for the runtime goes into the zip (found by
# serving the API's first requests from the zip on the emulator), and SnapStart onto the API
# function where the stage's config asks for it. Last, expanded.json: what CloudFormation
# deploys after the SAM transform (infra/expand.py), which make test lints. Packaging talks
# to no AWS account; chalice only wants a region to name. A sender still at example.com, or
# one the policies disagree with, is a warning here (the tests package the committed
# example); make preflight and make deploy refuse it.
STAGE ?= dev
PACKAGE_OUT ?= out/$(STAGE)
package: $(PACKAGE_ENV) $(INSTALLED)
	$(BIN)/python -m infra.preflight $(STAGE) --sender-only --warn
	$(BIN)/python -m infra.merge_template $(STAGE) $(dir $(PACKAGE_OUT))merge-$(STAGE).json
	AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-east-1} $(PACKAGE_BIN)/chalice package --stage $(STAGE) \
	  --merge-template $(dir $(PACKAGE_OUT))merge-$(STAGE).json $(PACKAGE_OUT)
	$(BIN)/python -m infra.event_sources $(STAGE) $(PACKAGE_OUT)/sam.json
	$(BIN)/python -m infra.package_bytecode $(PACKAGE_OUT) --stage $(STAGE) --python $(PACKAGE_BIN)/python
	$(BIN)/python -m infra.snapstart $(STAGE) $(PACKAGE_OUT)/sam.json $(SNAPSTART_FLAGS)
	$(BIN)/python -m infra.expand $(PACKAGE_OUT)/sam.json $(PACKAGE_OUT)/expanded.json

# make preflight STAGE=prod: read-only checks of the AWS account the stage deploys to, one OK or
# FAIL line each with its fix (infra/preflight.py); docs/operations.md, Deploy step by step.
preflight: $(INSTALLED)
	$(BIN)/python -m infra.preflight $(STAGE)

# make deploy STAGE=prod ARTIFACT_BUCKET=<S3 bucket>, after make package STAGE=prod: uploads the
# zip and deploys the stack `calling-card-store-STAGE` with the AWS CLI (v2) and the caller's
# credentials. It refuses a sender at an example domain or one the policies or the package
# disagree with. CAPABILITY_IAM: each function's role; CAPABILITY_AUTO_EXPAND: the SAM transform.
# The parameters are passed, not left to the stack's previous values.
DEPLOY_STACK = calling-card-store-$(STAGE)
deploy: $(INSTALLED)
	@test -n "$(ARTIFACT_BUCKET)" || { echo "FATAL: make deploy needs ARTIFACT_BUCKET=<an S3 bucket for the zip>" >&2; exit 1; }
	@test -f $(PACKAGE_OUT)/sam.json || { echo "FATAL: no $(PACKAGE_OUT)/sam.json: run make package STAGE=$(STAGE) first" >&2; exit 1; }
	$(BIN)/python -m infra.preflight $(STAGE) --sender-only --template $(PACKAGE_OUT)/sam.json
	aws cloudformation package --template-file $(PACKAGE_OUT)/sam.json --s3-bucket $(ARTIFACT_BUCKET) \
	  --output-template-file $(PACKAGE_OUT)/packaged.json --use-json
	aws cloudformation deploy --template-file $(PACKAGE_OUT)/packaged.json --stack-name $(DEPLOY_STACK) \
	  --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND --no-fail-on-empty-changeset \
	  --parameter-overrides Stage=$(STAGE) SenderDomain=$$($(BIN)/python -m infra.preflight $(STAGE) --sender-domain)

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) $(PACKAGE_VENV) .pytest_cache .mypy_cache .local-stage.json out
