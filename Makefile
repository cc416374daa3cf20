# 혼자 공부하는 머신러닝+딥러닝 · 7장 course book.
# Two commands on a fresh machine: `make book` builds the book, `make test` runs the tests.
# Both start with `setup` (virtual environment, system packages, data); a second run reuses all of it.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin

# Every command below, and every notebook kernel they start, sees the same environment:
# the venv first on PATH (nbgrader needs its bin/), Keras's cache inside the repository, quiet TensorFlow
# (level 3: TensorFlow 2.21 with Keras 3.15 logs a harmless ERROR line about `use_unbounded_threadpool`
# whenever fit() gets validation_data; real failures still raise Python exceptions).
export PATH := $(BIN):$(PATH)
export KERAS_HOME := $(CURDIR)/.keras
export TF_CPP_MIN_LOG_LEVEL := 3
export PIP_DISABLE_PIP_VERSION_CHECK := 1

SYSTEM_PACKAGES := fonts-nanum chromium bubblewrap
ASSIGNMENTS := ch07-1 ch07-2 ch07-3
BOOK_FLAGS := --warningiserror --keep-going
PROXY_VERSION := 5.3.0
AXE_VERSION := 4.14.1
ROSTER ?= roster.csv
HUB_PORT ?= $(or $(HONGONG_HUB_PORT),8000)

.DEFAULT_GOAL := help
.PHONY: help setup venv system-packages data proxy axe hub hub-start hub-stop hub-status hub-users hub-release book html test test-quick bench bench-build bench-autograde bench-class bench-scale bench-startup bench-hub bench-hub-hostile release collect grade export lab lab-instructor clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-16s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

setup: venv system-packages data proxy axe ## virtual environment, system packages, data, the hub's proxy and the accessibility checker (what book and test share)

venv: $(VENV)/.installed ## create .venv and install requirements.txt and the hongong package

$(VENV)/.installed: requirements.txt pyproject.toml
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps --editable .
	@touch $@

system-packages: venv ## install the Debian packages (Korean font; Chromium for the browser tests; bwrap for grading), as root
	@$(BIN)/python -m hongong system-packages $(SYSTEM_PACKAGES)

proxy: .hub/proxy/node_modules/.bin/configurable-http-proxy ## JupyterHub's proxy from the npm registry, into .hub/proxy

.hub/proxy/node_modules/.bin/configurable-http-proxy: | venv
	@command -v npm >/dev/null || $(BIN)/python -m hongong system-packages npm  # Debian's npm (and nodejs) if missing
	npm install --prefix .hub/proxy --no-audit --no-fund --loglevel=error configurable-http-proxy@$(PROXY_VERSION)

axe: .axe/node_modules/axe-core/axe.min.js ## axe-core (WCAG checks run in Chromium by the tests) from the npm registry, into .axe

.axe/node_modules/axe-core/axe.min.js: | proxy
	npm install --prefix .axe --no-audit --no-fund --loglevel=error axe-core@$(AXE_VERSION)

data: venv ## put Fashion-MNIST in Keras's cache (.keras/), offline, and verify it
	@$(BIN)/python -m hongong data

book: setup html ## set up everything, then build the book with execution

html: ## build the book only (strict: warnings are errors); chapters missing from the execution cache run first, one per core
	$(BIN)/python -m hongong.book.execute_chapters
	$(BIN)/jupyter-book build $(BOOK_FLAGS) .
	@echo "The book: $(CURDIR)/_build/html/index.html"

test: setup ## set up everything, then run all tests (the book build among them)
	$(BIN)/python -m pytest

test-quick: setup ## the tests that take seconds (skips building the book)
	$(BIN)/python -m pytest -m "not slow"

bench: bench-build bench-autograde bench-class bench-scale bench-startup bench-hub bench-hub-hostile ## run the benchmarks below

bench-build: setup ## print build times: cold, warm, and the chapters' pure execution
	$(BIN)/python benchmarks/build_time.py

bench-autograde: setup ## print nbgrader's autograde time per assignment and TensorFlow's share of it
	$(BIN)/python benchmarks/autograde_time.py

bench-class: setup ## print a class's grading time (make grade): per submission, whole class, overhead over nbclient
	$(BIN)/python benchmarks/class_time.py $(LEARNERS)

bench-startup: setup ## print the grading processes' start-up time, with and without jsonschema's rfc3987-syntax import
	$(BIN)/python benchmarks/startup_time.py $(REPEATS)

bench-scale: setup ## print a class graded serially, in parallel and on Dask; sandbox overhead; projection (LEARNERS=30)
	$(BIN)/python benchmarks/scale_time.py $(LEARNERS) $(REPEATS)

bench-hub: setup ## print Submit-to-feedback latency on a real hub: alone (p50/p95) and LEARNERS=10 within a minute (root)
	$(BIN)/python benchmarks/hub_latency.py $(LEARNERS) $(REPEATS)

bench-hub-hostile: setup ## print an honest learner's Submit-to-feedback alone and beside a hostile one, and the ratio (root)
	$(BIN)/python benchmarks/hub_hostile.py $(REPEATS)

release: setup ## regenerate exercises/ (student release) from solutions/ with nbgrader
	@for assignment in $(ASSIGNMENTS); do $(BIN)/nbgrader generate_assignment $$assignment --force --log-level=WARN || exit 1; done
	@echo "Released: $(addprefix exercises/,$(ASSIGNMENTS))"

collect: setup ## collect an LMS zip from downloaded/$(ASSIGNMENT)/archive/ into submitted/ (ASSIGNMENT=ch07-1)
	@test -n "$(ASSIGNMENT)" || { echo "usage: make collect ASSIGNMENT=ch07-1"; exit 2; }
	$(BIN)/nbgrader zip_collect $(ASSIGNMENT)

grade: setup ## autograde (sandboxed, in parallel), feedback, grades/*.csv, report (ASSIGNMENT= STUDENT= JOBS= DASK=1 SCHEDULER=tcp://…)
	$(BIN)/python -m hongong.grading grade $(ASSIGNMENT) $(addprefix --student ,$(STUDENT)) $(if $(JOBS),--jobs $(JOBS)) $(if $(DASK),--dask) \
		$(if $(SCHEDULER),--scheduler $(SCHEDULER)) $(if $(NO_SANDBOX),--no-sandbox)

export: setup ## write grades/*.csv again from the gradebook (after manual grading)
	$(BIN)/nbgrader export --log-level=WARN

lab: setup ## the learner's JupyterLab: nbgrader's Validate button and Assignment List only (config: jupyter_learner/)
	JUPYTER_CONFIG_PATH=$(CURDIR)/jupyter_learner $(BIN)/jupyter lab --notebook-dir=$(CURDIR)

lab-instructor: setup ## the instructor's JupyterLab: formgrader (with a CSP), Create Assignment, every nbgrader tool
	$(BIN)/jupyter lab --notebook-dir=$(CURDIR) --config=$(CURDIR)/jupyter_server_config.py

hub-users: setup ## learners (and the instructor) as system users from a roster CSV (ROSTER=roster.csv INSTRUCTOR=…), as root
	$(BIN)/python -m hongong.hub users $(ROSTER) $(if $(INSTRUCTOR),--instructor $(INSTRUCTOR))

hub: setup ## the class's JupyterHub on 127.0.0.1 (HUB_PORT, default 8000) with the grading service, in the foreground (as root; Ctrl+C stops both)
	HONGONG_HUB_PORT=$(HUB_PORT) $(BIN)/python -m hongong.hub start

hub-start: setup ## the same hub in the background (HUB_PORT=8000; log: .hub/state/hub.log), as root
	HONGONG_HUB_PORT=$(HUB_PORT) $(BIN)/python -m hongong.hub start-background

hub-status: ## is the hub started by hub-start running, and do the hub and its grading service answer
	@$(BIN)/python -m hongong.hub status

hub-stop: ## stop the hub started by hub-start (its users' servers, proxy and grading service with it), as root
	$(BIN)/python -m hongong.hub stop

hub-release: setup ## release an assignment to the hub's exchange (ASSIGNMENT=ch07-1)
	@test -n "$(ASSIGNMENT)" || { echo "usage: make hub-release ASSIGNMENT=ch07-1"; exit 2; }
	$(BIN)/python -m hongong.hub release $(ASSIGNMENT)

clean: ## remove the built book and its execution cache (keeps .venv and .keras)
	rm -rf _build
