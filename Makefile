# The one interface. Every target calls `python -m analysis ...`; no logic lives here.
# Bare `make` lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
JOBS ?= 2
N ?= 300
# STUDY=<name> selects the study in studies/<name>/ (default: the top-level study) for every target
# that runs python -m analysis, e.g. `make report STUDY=agile`.
STUDY ?=
ANALYSIS := $(PY) -m analysis$(if $(STUDY), --study $(STUDY))
STUDY_ROOT := $(if $(STUDY),studies/$(STUDY)/)

# The virtual environment is (re)made when it is missing or older than pyproject.toml.
$(VENV)/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.11 or run make PYTHON=/path/to/python3.11"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

.PHONY: help venv report test test-fast nbval-refs validate data template lab bench kernel-loop new-study clean
help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  make %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

venv: $(VENV)/.installed ## create .venv and install the project (done by the other targets when needed)

report: $(VENV)/.installed ## main job: data if none, validate, run notebooks per wave, render the reports to _output/ (STUDY=name: studies/name/)
	$(ANALYSIS) report

test: $(VENV)/.installed ## run the whole test suite (unit, doctests, notebooks with nbval, end to end, browser)
	$(PY) -m pytest -n $(JOBS) --dist loadfile

test-fast: $(VENV)/.installed ## the inner loop: every test but the end-to-end and browser ones (under 2 minutes)
	$(PY) -m pytest -m "not e2e and not browser" -n $(JOBS) --dist loadfile

nbval-refs: $(VENV)/.installed ## re-execute the notebooks in a temporary root; refresh tests/nbval/ (review the diff)
	$(PY) -m tests.nbval.refresh

validate: $(VENV)/.installed ## validate every wave's files; quarantine bad rows; print a summary
	$(ANALYSIS) validate

data: $(VENV)/.installed ## write the deterministic synthetic data set to data/synthetic/
	$(ANALYSIS) data

template: $(VENV)/.installed ## write the local authority data request workbook to _output/
	$(ANALYSIS) template

lab: $(VENV)/.installed ## open JupyterLab on the notebooks (synthetic data written first if needed)
	$(ANALYSIS) data --if-needed
	ANALYSIS_STUDY=$(STUDY) $(VENV)/bin/jupyter lab $(STUDY_ROOT)notebooks/

bench: $(VENV)/.installed ## measure build speed and scale; print the figures and write _build/bench.json
	$(ANALYSIS) bench

kernel-loop: $(VENV)/.installed ## start N warm kernels (default 300) in the 2-worker pool and alone; print failures
	$(ANALYSIS) kernel-loop --starts $(N)

new-study: $(VENV)/.installed ## write the skeleton of a new study: make new-study NAME=<name> (then make report STUDY=<name>)
	$(PY) -m analysis new-study $(NAME)

clean: ## remove the study's _build/ and _output/ (derived files only)
	@test -x $(PY) && $(ANALYSIS) clean || rm -rf $(STUDY_ROOT)_build $(STUDY_ROOT)_output
