# dlcv-report: the front door.
#   make report                 set up .venv if missing, run every notebook, write reports/report.html
#   make test                   set up .venv if missing, then the test suite (smoke profile)
#   make report NOTEBOOKS=dann PROFILE=smoke DATA=/path/to/hw2_data/digits
#   make -j2 report             notebooks in parallel; unchanged notebooks are not re-run
#   make predict PROBLEM=dann INPUT=svhn/data OUTPUT=pred.csv   [CHECKPOINT=... N=... OVERWRITE=1]
#   make pdf | lab | clean | distclean | help

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
REPORTS ?= reports
PROFILE ?= auto
DATA ?= embedded
KERNEL := dlcv-report
TORCH := torch==2.14.1 torchvision==0.29.1
CHROMIUM ?= $(shell command -v chromium chromium-browser google-chrome 2>/dev/null | head -n 1)

# Course order first (the report's order), then any other notebook.
ORDER := gan acgan ddpm conditional_diffusion dann adda classification byol segmentation
AVAILABLE := $(basename $(notdir $(wildcard notebooks/*.ipynb)))
NOTEBOOKS ?= $(foreach nb,$(ORDER),$(filter $(nb),$(AVAILABLE))) $(sort $(filter-out $(ORDER),$(AVAILABLE)))
HELPERS := $(shell find helpers -name '*.py' -not -path '*/__pycache__/*')
VENV_STAMP := $(VENV)/.installed
NBVAL_DIR := build/nbval/notebooks

.PHONY: report notebooks combine pdf predict test lab clean distclean help FORCE
.DEFAULT_GOAL := report

help:
	@sed -n '2,8p' Makefile | sed 's/^# \{0,1\}//'

$(VENV_STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet $(TORCH)
	$(PY) -m pip install --quiet -e '.[dev]'
	$(PY) -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "dlcv-report (.venv)" >/dev/null
	@touch $@

# All notebooks run even if one fails (-k); the combined report is written either way, showing the
# failure in its section, and make then exits non-zero.
report: $(VENV_STAMP)
	@status=0; $(MAKE) --no-print-directory -k notebooks || status=$$?; \
	$(MAKE) --no-print-directory combine || status=$$?; \
	if [ $$status -ne 0 ]; then echo "make report: a notebook failed; see its section in $(REPORTS)/report.html" >&2; fi; \
	exit $$status

notebooks: $(foreach nb,$(NOTEBOOKS),$(REPORTS)/$(nb)/$(nb).html)

combine: $(REPORTS)/report.html

$(REPORTS)/report.html: $(wildcard $(foreach nb,$(NOTEBOOKS),$(REPORTS)/$(nb)/$(nb).ipynb)) $(REPORTS)/.notebooks | $(VENV_STAMP)
	$(PY) -m helpers.report combine --reports $(REPORTS) $(NOTEBOOKS)

# The same report as PDF, printed by headless Chromium (page breaks between problems).
pdf: report
	@test -n "$(CHROMIUM)" || { echo "make pdf needs Chromium: sudo apt-get install chromium (or CHROMIUM=/path/to/chrome)" >&2; exit 1; }
	$(CHROMIUM) --headless --no-sandbox --disable-gpu --disable-background-networking --no-first-run \
	    --no-pdf-header-footer --print-to-pdf=$(REPORTS)/.report.pdf.tmp file://$(abspath $(REPORTS)/report.html) 2>/dev/null
	@mv $(REPORTS)/.report.pdf.tmp $(REPORTS)/report.pdf && echo "wrote $(REPORTS)/report.pdf"

# A deliverable from a notebook's checkpoint (default: the one reports/<PROBLEM>/metrics.json names).
predict: $(VENV_STAMP)
	@test -n "$(PROBLEM)" -a -n "$(OUTPUT)" || { echo "usage: make predict PROBLEM=<problem> [INPUT=<path>] OUTPUT=<path>; problems: $$($(PY) -c 'from helpers.deliverables.problems import PROBLEMS; print(*PROBLEMS)')" >&2; exit 2; }
	$(PY) -m helpers.predict $(PROBLEM) --reports $(REPORTS) --output $(OUTPUT) $(if $(INPUT),--input $(INPUT)) \
	    $(if $(CHECKPOINT),--checkpoint $(CHECKPOINT)) $(if $(N),--n $(N)) $(if $(OVERWRITE),--overwrite)

# A notebook re-runs when it, helpers/ or its parameters change. The parameters live in a stamp file
# that is rewritten only when they differ, so its date moves only then.
$(REPORTS)/.notebooks: FORCE
	@mkdir -p $(@D); echo '$(strip $(NOTEBOOKS))' | cmp -s - $@ || echo '$(strip $(NOTEBOOKS))' > $@

$(REPORTS)/%/.params: FORCE
	@mkdir -p $(@D); echo 'profile=$(PROFILE) data=$(DATA)' | cmp -s - $@ || echo 'profile=$(PROFILE) data=$(DATA)' > $@

define NOTEBOOK_RULE
$(REPORTS)/$(1)/$(1).html: notebooks/$(1).ipynb $(HELPERS) $(REPORTS)/$(1)/.params | $(VENV_STAMP)
	$(PY) -m helpers.report run $(1) --profile $(PROFILE) --data $(DATA) --reports $(REPORTS) --kernel $(KERNEL)
endef
$(foreach nb,$(NOTEBOOKS),$(eval $(call NOTEBOOK_RULE,$(nb))))

# Unit tests, every notebook through papermill (tests/test_notebooks.py), and every notebook under
# nbval from a copy, so that the smoke runs write to build/ and never over a real report.
test: $(VENV_STAMP)
	@rm -rf $(NBVAL_DIR) && mkdir -p $(NBVAL_DIR) && cp notebooks/*.ipynb $(NBVAL_DIR)/
	DLCV_PROFILE=smoke $(PY) -m pytest tests $(NBVAL_DIR) --nbval-lax --nbval-current-env

lab: $(VENV_STAMP)
	@$(VENV)/bin/jupyter-lab --version >/dev/null 2>&1 || $(PY) -m pip install --quiet -e '.[dev,lab]'
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root)

clean:
	rm -rf $(REPORTS) build

distclean: clean
	rm -rf $(VENV) *.egg-info
