# dlcv-report: the front door.
#   make report                 set up .venv if missing, run every notebook, write reports/report.html
#   make test                   set up .venv if missing, then the test suite (smoke profile)
#   make report NOTEBOOKS=dann PROFILE=smoke DATA=/path/to/hw2_data/digits
#   make report NOTEBOOKS=acgan DATA=hw2_data/face/train PARAMS='labels_csv=hw2_data/face/train.csv attribute=Smiling'
#   make -j2 report             notebooks in parallel; unchanged notebooks are not re-run
#   make predict PROBLEM=dann INPUT=svhn/data OUTPUT=pred.csv   [CHECKPOINT=... N=... SIZE=... SEED=... OVERWRITE=1]
#   make report TORCH=system    a new .venv that keeps the system's own torch (a GPU box's CUDA build)
#   make gpu-check              on a GPU box: every notebook in the gpu profile, a few epochs each, and a table
#   make pdf | lab | clean | distclean | help

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
JUPYTEXT := $(VENV)/bin/jupytext
REPORTS ?= reports
PROFILE ?= auto
DATA ?= embedded
# The notebooks' other parameters (docs/notebooks.md), words of name=value: PARAMS='epochs=5 settings=["A","C"]'
# (from make's command line only: an environment variable PARAMS is not taken for it)
PARAMS ?=
ifeq ($(origin PARAMS),environment)
PARAMS :=
endif
KERNEL := dlcv-report
# The exact versions the tests pass with (per tested Python); $(VENV) is installed with them.
CONSTRAINTS := constraints.txt
# TORCH=venv (default): torch and torchvision go into $(VENV) at the versions in $(CONSTRAINTS).
# TORCH=system: bring your own (a GPU box's CUDA build): $(VENV) sees $(PYTHON)'s site-packages, and the
# constraints' lines marked "# torch" give way to pins of the torch and torchvision found there, so pip
# neither installs nor replaces them. It applies when $(VENV) is made (make distclean to switch).
TORCH ?= venv
CHROMIUM ?= $(shell command -v chromium chromium-browser google-chrome 2>/dev/null | head -n 1)

# Course order first (the report's order), then any other notebook.
ORDER := gan acgan ddpm conditional_diffusion dann adda classification byol segmentation
AVAILABLE := $(basename $(notdir $(wildcard notebooks/*.ipynb)))
NOTEBOOKS ?= $(foreach nb,$(ORDER),$(filter $(nb),$(AVAILABLE))) $(sort $(filter-out $(ORDER),$(AVAILABLE)))
HELPERS := $(shell find helpers -name '*.py' -not -path '*/__pycache__/*')
VENV_STAMP := $(VENV)/.installed
NBVAL_DIR := build/nbval/notebooks
NOTEBOOKS_ARG := $(if $(filter command line,$(origin NOTEBOOKS)),$(NOTEBOOKS))
UNKNOWN_NOTEBOOKS := $(filter-out $(AVAILABLE),$(NOTEBOOKS))
ifneq ($(UNKNOWN_NOTEBOOKS),)
$(error NOTEBOOKS: no notebook named $(UNKNOWN_NOTEBOOKS) in notebooks/; the notebooks are: $(AVAILABLE))
endif
# $(call quote,TEXT): TEXT as one shell word, whatever spaces or quotes it holds (DATA="/path with spaces").
quote = '$(subst ','\'',$(1))'

.PHONY: report notebooks combine pdf predict test gpu-check lab clean distclean help FORCE
.DEFAULT_GOAL := report

help:
	@sed -n '2,11p' Makefile | sed 's/^# \{0,1\}//'

$(VENV_STAMP): pyproject.toml $(CONSTRAINTS)
	@case '$(TORCH)' in venv|system) ;; *) echo "TORCH=$(TORCH): expected TORCH=venv (the default) or TORCH=system" >&2; exit 2;; esac
	@test -x $(PY) || $(PYTHON) -m venv $(if $(filter system,$(TORCH)),--system-site-packages) $(VENV)
ifeq ($(TORCH),system)
	@grep -q '^include-system-site-packages = true' $(VENV)/pyvenv.cfg || { echo "TORCH=system: $(VENV) was made without the system's site-packages; run make distclean first (or choose another VENV=)" >&2; exit 2; }
	@$(PY) -c 'import torch, torchvision' || { echo "TORCH=system: $(PYTHON) has no torch and torchvision of its own; install both there, or leave TORCH unset" >&2; exit 2; }
	@grep -v '# torch$$' $(CONSTRAINTS) > $(VENV)/constraints-system.txt
	@$(PY) -c 'from importlib.metadata import version; print(*(f"{n}=={version(n)}" for n in ("torch", "torchvision")), sep="\n")' >> $(VENV)/constraints-system.txt
	$(PY) -m pip install --quiet -c $(VENV)/constraints-system.txt -e '.[dev]'
else
	$(PY) -m pip install --quiet -c $(CONSTRAINTS) -e '.[dev]'
endif
	$(PY) -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "dlcv-report (.venv)" >/dev/null
	@touch $@

# All notebooks run even if one fails (-k); the combined report is written either way, showing the
# failure in its section, and make then exits non-zero. Otherwise the last line names the report (also when
# nothing needed to run, which is otherwise silent).
report: $(VENV_STAMP)
	@$(PY) -m helpers.report profile $(call quote,$(PROFILE)) || exit $$?; status=0; $(MAKE) --no-print-directory -k notebooks || status=$$?; \
	$(MAKE) --no-print-directory combine || status=$$?; \
	if [ $$status -ne 0 ]; then echo "make report: a notebook failed, did not start or could not be read; see its section in "$(call quote,$(REPORTS)/report.html) >&2; \
	else echo "make report: done: "$(call quote,$(REPORTS)/report.html); fi; \
	exit $$status

notebooks: $(foreach nb,$(NOTEBOOKS),$(REPORTS)/$(nb)/$(nb).html)

combine: $(REPORTS)/report.html

# The report holds NOTEBOOKS and the sections earlier runs left in REPORTS, <name>/<name>.ipynb (a course-data
# report is made one problem family at a time, each with its DATA); .notebooks lists both, so a section removed
# re-combines too. A section of this run that cannot be read shows its error and combine exits 1 with the report
# written; the report is then dated old, so the next make combines (and says so) again. A run refused before it
# started (a PARAMS name the notebook lacks, a DATA folder or a labels or weights file that does not exist) leaves
# <name>/not-started.txt and its earlier results; its section says so.
SECTIONS = $(wildcard $(foreach d,$(notdir $(patsubst %/,%,$(wildcard $(REPORTS)/*/))),$(REPORTS)/$(d)/$(d).ipynb))
NOT_STARTED = $(wildcard $(REPORTS)/*/not-started.txt)
$(REPORTS)/report.html: $(SECTIONS) $(NOT_STARTED) $(REPORTS)/.notebooks | $(VENV_STAMP)
	$(PY) -m helpers.report combine --reports $(call quote,$(REPORTS)) $(NOTEBOOKS) \
	    || { status=$$?; touch -c -t 200001010000 $(call quote,$@); exit $$status; }

# The same report as PDF, printed by headless Chromium (page breaks between problems).
pdf: report
	@test -n "$(CHROMIUM)" || { echo "make pdf needs Chromium: sudo apt-get install chromium (or CHROMIUM=/path/to/chrome)" >&2; exit 1; }
	$(CHROMIUM) --headless --no-sandbox --disable-gpu --disable-background-networking --no-first-run \
	    --no-pdf-header-footer --print-to-pdf=$(call quote,$(REPORTS)/.report.pdf.tmp) $(call quote,file://$(abspath $(REPORTS))/report.html) 2>/dev/null
	@mv $(call quote,$(REPORTS)/.report.pdf.tmp) $(call quote,$(REPORTS)/report.pdf) && echo "wrote "$(call quote,$(REPORTS)/report.pdf)

# A deliverable from a notebook's checkpoint (default: the one reports/<PROBLEM>/metrics.json names).
predict: $(VENV_STAMP)
	@test -n "$(PROBLEM)" -a -n "$(OUTPUT)" || { echo "usage: make predict PROBLEM=<problem> [INPUT=<path>] OUTPUT=<path>; problems: $$($(PY) -c 'from helpers.deliverables.problems import PROBLEMS; print(*PROBLEMS)')" >&2; exit 2; }
	$(PY) -m helpers.predict $(call quote,$(PROBLEM)) --reports $(call quote,$(REPORTS)) --output $(call quote,$(OUTPUT)) \
	    $(if $(INPUT),--input $(call quote,$(INPUT))) $(if $(CHECKPOINT),--checkpoint $(call quote,$(CHECKPOINT))) \
	    $(if $(N),--n $(call quote,$(N))) $(if $(SIZE),--size $(call quote,$(SIZE))) $(if $(SEED),--seed $(call quote,$(SEED))) \
	    $(if $(OVERWRITE),--overwrite)

# A notebook re-runs when it, helpers/ or its parameters change. The parameters live in a stamp file
# that is rewritten only when they differ, so its date moves only then. With PROFILE=auto the stamp holds
# what auto picks (DLCV_PROFILE, else by this machine), asked once per make.
AUTO_PROFILE = $(eval AUTO_PROFILE := $(shell $(PY) -m helpers.report profile --name-only))$(AUTO_PROFILE)
PROFILE_STAMP = $(if $(filter auto,$(PROFILE)),auto ($(AUTO_PROFILE)),$(PROFILE))
PARAMS_STAMP = profile=$(PROFILE_STAMP) data=$(DATA)$(if $(strip $(PARAMS)), params=$(strip $(PARAMS)))
# .notebooks: this run's NOTEBOOKS, the sections there are and those with a not-started note (a note removed
# re-combines too).
NOTEBOOKS_STAMP = $(strip $(NOTEBOOKS)) | $(notdir $(SECTIONS)) | not started: $(notdir $(NOT_STARTED:/not-started.txt=))
$(REPORTS)/.notebooks: FORCE
	@mkdir -p $(call quote,$(@D)); echo $(call quote,$(NOTEBOOKS_STAMP)) | cmp -s - $(call quote,$@) \
	    || echo $(call quote,$(NOTEBOOKS_STAMP)) > $(call quote,$@)

$(REPORTS)/%/.params: FORCE | $(VENV_STAMP)
	@mkdir -p $(call quote,$(@D)); echo $(call quote,$(PARAMS_STAMP)) | cmp -s - $(call quote,$@) \
	    || echo $(call quote,$(PARAMS_STAMP)) > $(call quote,$@)

# Each notebook is the pair notebooks/<name>.py + .ipynb (jupytext.toml): the newer of the two is synced into
# the other first, so an edit to either is what runs.
define NOTEBOOK_RULE
$(REPORTS)/$(1)/$(1).html: notebooks/$(1).ipynb notebooks/$(1).py $(HELPERS) $(REPORTS)/$(1)/.params | $(VENV_STAMP)
	$(JUPYTEXT) --sync --quiet notebooks/$(1).ipynb
	$(PY) -m helpers.report run $(1) --profile $(call quote,$(PROFILE)) --data $(call quote,$(DATA)) \
	    --reports $(call quote,$(REPORTS)) --kernel $(KERNEL) $$(if $$(strip $$(PARAMS)),--params $$(call quote,$$(PARAMS)))
endef
$(foreach nb,$(NOTEBOOKS),$(eval $(call NOTEBOOK_RULE,$(nb))))

# Unit tests, every notebook through papermill (tests/test_notebooks.py), and every notebook under
# nbval from a copy, so that the smoke runs write to build/ and never over a real report.
test: $(VENV_STAMP)
	@rm -rf $(NBVAL_DIR) && mkdir -p $(NBVAL_DIR) && cp notebooks/*.ipynb $(NBVAL_DIR)/
	DLCV_PROFILE=smoke $(PY) -m pytest tests $(NBVAL_DIR) --nbval-lax --nbval-current-env

# Every notebook in the gpu profile with a short budget (helpers/report/gpu_check.py), into build/gpu-check:
# a table of ran or failed (the error's type and first line), seconds and each notebook's key figure.
gpu-check: $(VENV_STAMP)
	$(PY) -m helpers.report.gpu_check --reports build/gpu-check --kernel $(KERNEL) $(NOTEBOOKS_ARG)

lab: $(VENV_STAMP)
	@$(VENV)/bin/jupyter-lab --version >/dev/null 2>&1 || $(PY) -m pip install --quiet \
	    -c $(if $(filter system,$(TORCH)),$(VENV)/constraints-system.txt,$(CONSTRAINTS)) -e '.[dev,lab]'
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root)

clean:
	rm -rf $(call quote,$(REPORTS)) build

distclean: clean
	rm -rf $(VENV) *.egg-info
