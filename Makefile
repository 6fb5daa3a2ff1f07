# Two commands for a newcomer: `make demo` and `make test`. Both build .venv from nothing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install test lint typecheck unit demo bench soak clean package package-org package-lint rehearse

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy

# Every test, on every core (a test file stays on one worker: its module fixtures run
# once); the slowest 15 are listed at the end (pyproject.toml's addopts).
test: lint typecheck
	$(PY) -m pytest -n auto --dist loadscope

# SAM template for one stage, with the retry and dead-letter settings merged in, and
# what the stack needs first (the env's ledger table): make package STAGE=prod-us-east-1
# (tools/package.py; the region comes from the stage; an unknown stage is one line)
STAGE ?= prod-us-east-1
STAGES = $(shell python3 -c 'import json; print(*json.load(open(".chalice/config.json"))["stages"])')
package: $(STAMP)
	$(if $(filter $(STAGE),$(STAGES)),,$(error no stage $(STAGE) in .chalice/config.json; make package STAGE=<one of $(STAGES)>))
	@$(PY) manage.py package --stage $(STAGE)

# The member template of `deploy --org` (build/org/member.json), for teams that roll the
# StackSet out themselves (tools/org_template.py; cfn-lint checks it in every region).
package-org: $(STAMP)
	@$(PY) manage.py package --org

# Every stage packaged offline and checked with cfn-lint (also part of `make test`).
package-lint: $(STAMP)
	$(PY) -m pytest tests/deploy/test_package.py

# The whole two-region deploy, offline, on the embedded emulator (moto) holding a small
# organization: `manage.py secrets`, `deploy --create-trail --forward-from all --org`,
# `audit-regions`; prints what it made and the URLs a user would paste. Nothing reaches
# AWS, PyPI or Slack.
rehearse: $(STAMP)
	$(PY) -m localdev.rehearsal

demo: $(STAMP)
	$(PY) manage.py demo

bench: $(STAMP)
	$(PY) -m bench

# Green every time: `make test` RUNS times on a fresh clone of HEAD with LOAD cores kept
# busy (defaults 10 and 2); stops at the first red run and keeps its log.
soak:
	bash tools/soak.sh

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
