# Two commands a newcomer needs: `make demo` and `make test`. Both build their own virtualenv.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test demo lint typecheck pytest install clean compile deploy package references golden
.PHONY: test-unit test-local test-cloud test-sandbox test-conformance test-evaluation
STAGE ?= dev

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

# The second reference of the conformance corpus (tests/conformance, docs/conformance.md):
# aws-local-stepfunctions from npm, run under the machine's Node.
ASL_LOCAL_VERSION := 3.0.0
ASL_LOCAL := .cache/asl-local/node_modules/aws-local-stepfunctions/package.json

$(ASL_LOCAL):
	npm install --prefix .cache/asl-local --no-audit --no-fund --loglevel=error aws-local-stepfunctions@$(ASL_LOCAL_VERSION)

references: $(ASL_LOCAL)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check chalicelib

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP) $(ASL_LOCAL)
	$(BIN)/pytest

test: lint typecheck pytest

# One tier at a time (tests/README.md says what each holds); `make test` runs them all.
test-unit: $(STAMP)
	$(BIN)/pytest tests/unit tests/repo

test-local: $(STAMP)
	$(BIN)/pytest tests/local

test-cloud: $(STAMP)
	$(BIN)/pytest tests/cloud

test-sandbox: $(STAMP)
	$(BIN)/pytest tests/sandbox

test-conformance: $(STAMP) $(ASL_LOCAL)
	$(BIN)/pytest tests/conformance

test-evaluation: $(STAMP)
	$(BIN)/pytest tests/evaluation

# The only way the reviewed golden definition is rewritten: its test only compares.
golden: $(STAMP)
	$(BIN)/python -m tests.unit.compiler.test_golden
	-git diff --stat -- tests/unit/compiler/golden

demo: $(STAMP)
	$(BIN)/python -m sandbox.demo

# Deploying (docs/deploy.md). chalice packages chalicelib/ as it is on disk, __pycache__ included:
# compiling first ships bytecode, so a cold Lambda does not compile our modules (about 20 ms of
# the webhook's cold start). Hash-checked .pyc stay correct whatever the files' timestamps.
compile: $(STAMP)
	$(BIN)/python -m compileall -q --invalidation-mode checked-hash chalicelib

# Chalice wants a region even to package; without one in the environment, the stage's own
# ("aof": {"region": ...} in .chalice/config.json).
STAGE_REGION = $(shell $(BIN)/python -c 'from pathlib import Path; from chalicelib.cli.apply_cmd import stage_settings; print(stage_settings(Path("."), "$(STAGE)").get("region", ""))')

deploy: compile
	AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-$(STAGE_REGION)} $(BIN)/chalice deploy --stage $(STAGE)

package: compile
	$(BIN)/aofctl package -f agents -f flows --stage $(STAGE) -o build/merge-template.json
	AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-$(STAGE_REGION)} $(BIN)/chalice package --stage $(STAGE) --merge-template build/merge-template.json build/package

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .cache
