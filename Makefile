# predictor — the two commands a fresh machine needs: `make run` and `make test`.
# Only python3 is assumed: uv is bootstrapped into .uv/, the project into .venv/ from uv.lock.

PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .uv/bin/uv
VENV := .venv
BIN := $(VENV)/bin
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: help setup run serve train test lint typecheck contracts browser unit integration clean mlflow-server lambda-zip docs

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(UV):
	$(PYTHON) -m venv .uv
	.uv/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --all-extras --python $(PYTHON)
	@touch $@

setup: $(VENV)/.synced  ## create .venv from uv.lock (all extras, dev tools)

run: setup  ## train the demo model if there is none in production, then serve it on 127.0.0.1:8000
	$(BIN)/predictor demo

MLFLOW_PORT ?= 5000
mlflow-server: setup  ## MLflow tracking server on 127.0.0.1:MLFLOW_PORT, 5000 by default (dev: ./mlflow.db, ./mlartifacts; docs/lifecycle.md)
	$(BIN)/predictor mlflow-server --port $(MLFLOW_PORT)

MODEL_DIR ?= build/model
LAMBDA_PYTHON ?= 3.12
LAMBDA_ZIP ?= build/predictor-lambda.zip
lambda-zip: setup  ## LAMBDA_ZIP: the Lambda function for LAMBDA_PYTHON, MODEL_DIR baked in (docs/aws.md)
	$(BIN)/python -m tools.lambda_zip --model $(MODEL_DIR) --out $(LAMBDA_ZIP) --python-version $(LAMBDA_PYTHON) \
		$(if $(LAMBDA_COMPILE_WITH),--compile-with $(LAMBDA_COMPILE_WITH))

# Material for MkDocs prints a banner about MkDocs 2 on every build; this turns it off.
export NO_MKDOCS_2_WARNING := 1
# Not --quiet: it hides the warnings that strict mode counts, and the build would pass.
docs: setup  ## the documentation site into site/, offline, strict: a broken link or anchor fails (mkdocs.yml)
	$(BIN)/mkdocs build --strict

lint: setup docs  ## ruff, the shape checks (tools/shape.py), hadolint on docker/, cfn-lint, the workflows' and compose file's schemas, the docs site (strict)
	$(BIN)/ruff check
	$(BIN)/ruff format --check
	$(BIN)/python -m tools.shape
	$(BIN)/hadolint --failure-threshold warning docker/*.Dockerfile
	$(BIN)/cfn-lint deploy/template.yaml
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(BIN)/check-jsonschema --builtin-schema vendor.compose-spec docker-compose.yml

typecheck: setup  ## mypy, strict on src/, tools/ and tests/
	$(BIN)/mypy

contracts: setup  ## import-linter: the domain's allow-list, the layers, one adapter per vendor SDK
	$(BIN)/lint-imports --no-cache

browser:  ## headless Chromium and its driver for the browser test (apt-get, only when missing)
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
		$(SUDO) apt-get update && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium chromium-driver; \
	fi

unit: setup  ## unit and contract tests only
	$(BIN)/pytest tests/unit tests/contract

test: lint typecheck contracts browser  ## everything CI runs: lint, types, import contracts, all tests, coverage >= 80 %
	$(BIN)/pytest --cov --cov-report=term

clean:  ## remove the environments and local stores made by `make run`
	rm -rf .uv $(VENV) mlflow.db mlartifacts .predictor
