# Two commands on a fresh machine:  make book   and   make test
# PROFILE=smoke|cpu|paper picks the parameter file in params/ (default: cpu, the book of record).
SHELL := /bin/bash
VENV    ?= .venv
PY      := $(VENV)/bin/python
PROFILE ?= cpu
UV      := $(shell command -v uv 2>/dev/null)
JB      := $(VENV)/bin/jupyter-book build . -W -n --keep-going
# nbval re-executes the smoke baselines into a fresh scratch folder, so it always trains
# (a run store left over from an earlier check would turn the check into a lookup).
NBVAL   := MNIST_BOOK_SCRATCH=$$(mktemp -d) $(PY) -m pytest --nbval-lax --nbval-current-env --nbval-cell-timeout=900 \
           --nbval-sanitize-with tests/nbval_sanitize.cfg tests/baselines

.PHONY: print-tex-packages book notebooks data html pdf test unit unit-jax runs gpu-bundle nbval browser pdf-check baselines check mathjax benchmark store clean
.DEFAULT_GOAL := book

# The virtual environment, rebuilt when pyproject.toml changes. EXTRAS: dev (tests), jax (the
# second backend) and one TensorFlow: cpu (tensorflow-cpu), or on a GPU machine gpu
# (tensorflow[and-cuda]): `make book PROFILE=paper EXTRAS=dev,gpu` on a fresh clone. The two
# write the same `tensorflow` package, so the recipe refuses a venv that holds both.
EXTRAS  ?= dev,jax,cpu
$(VENV)/.installed: pyproject.toml
ifdef UV
	uv venv --allow-existing -q -p python3.11 $(VENV)
	uv pip install -q -p $(PY) -e ".[$(EXTRAS)]"
else
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[$(EXTRAS)]"
endif
	@$(PY) -c 'import sys, importlib.metadata as m; \
		tf = sorted({(d.metadata["Name"] or "").lower().replace("_", "-") for d in m.distributions()} \
		            & {"tensorflow", "tensorflow-cpu", "tf-nightly"}); \
		sys.exit(f"$(VENV) holds two TensorFlow distributions {tf}: rm -rf $(VENV) and make again" if len(tf) > 1 else 0)'
	touch $@

# MathJax for offline math rendering (git-ignored, fetched from the npm registry).
_vendor/mathjax/tex-chtml.js:
	tools/vendor_mathjax.sh

mathjax: _vendor/mathjax/tex-chtml.js

# Get and verify the four MNIST files (cache, then $$MNIST_MIRROR, then the public mirrors).
data: $(VENV)/.installed
	$(PY) -m mnist_utils.training.data

# Execute the chapters of $(PROFILE) whose content hash changed.
notebooks: $(VENV)/.installed data
	$(PY) -m mnist_utils.runner --profile $(PROFILE)

# The whole-book PDF beside the HTML, _build/html/book.pdf, where the book's links point
# (book/_ext/whole_book_pdf.py): after `make pdf` when the HTML exists, after `make html` when
# a PDF was built, so `make html pdf` and `make pdf html` both give the published layout.
SHIP_PDF := if [ -f _build/latex/book.pdf ] && [ -d _build/html ]; then \
	cp _build/latex/book.pdf _build/html/book.pdf && echo "pdf: copied to _build/html/book.pdf"; fi

html: $(VENV)/.installed mathjax
	$(JB)
	@$(SHIP_PDF)

# The book as one PDF, _build/latex/book.pdf: Jupyter Book's LaTeX builder and Debian's TeX Live,
# offline (apt-get install $(TEX_PACKAGES)).
TEX_PACKAGES := texlive-xetex texlive-latex-recommended texlive-latex-extra texlive-fonts-recommended \
                texlive-plain-generic fonts-freefont-otf latexmk poppler-utils
pdf: $(VENV)/.installed
	@command -v xelatex >/dev/null && command -v latexmk >/dev/null \
		|| { echo "make pdf needs TeX Live: apt-get install $(TEX_PACKAGES)" >&2; exit 1; }
	@mkdir -p _build
	@# LaTeX talks a lot: its output goes to _build/pdf.log, and only its end is shown on failure.
	$(VENV)/bin/jupyter-book build . --builder pdflatex -n --keep-going > _build/pdf.log 2>&1 \
		|| { tail -40 _build/pdf.log; echo "make pdf failed: see _build/pdf.log" >&2; exit 1; }
	@grep -h "^Output written on" _build/latex/book.log
	@echo "pdf: _build/latex/book.pdf (log: _build/pdf.log)"
	@$(SHIP_PDF)

book: notebooks html
	@echo "book: open _build/html/index.html"

# Re-create the nbval baselines (smoke profile) after a notebook or mnist_utils change.
baselines: $(VENV)/.installed data
	$(PY) -m mnist_utils.runner --profile smoke

# The fast tests a maintainer runs often (every module; no subprocess trainings, no papermill).
unit: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(PY) -m pytest tests $(UNIT_IGNORE) -m "not slow and not notebook" -q

# Every test but the built book's (what `make test` runs before nbval, the browser and the PDF).
unit-all: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(PY) -m pytest tests $(UNIT_IGNORE) -q

# The training tests (marked `backend`) again on the second Keras backend (the book of record stays TensorFlow).
unit-jax: $(VENV)/.installed
	KERAS_BACKEND=jax $(PY) -m pytest tests $(UNIT_IGNORE) -m backend -q

# Fill the run store without Jupyter: make runs CHAPTERS="06 03" (default: every training chapter).
runs: $(VENV)/.installed data
	$(PY) -m mnist_utils.runs.fill --profile $(PROFILE) $(if $(CHAPTERS),--chapters $(CHAPTERS))

# What a borrowed GPU machine needs (build/gpu-bundle, carried to it); then on that machine:
#   python3 tools/gpu_run.py --profile paper --minutes 8 --out "$$OUT"
gpu-bundle:
	tools/gpu_bundle.sh

UNIT_IGNORE := --ignore=tests/baselines --ignore=tests/test_browser.py --ignore=tests/test_pdf.py

nbval: $(VENV)/.installed data
	$(NBVAL)

# Every page of the built book in headless Chromium (Debian's chromium + chromium-driver).
browser: html
	$(PY) -m pytest tests/test_browser.py -q -rs

# The PDF's contents (skipped, with the reason, when no PDF was built).
pdf-check: $(VENV)/.installed
	$(PY) -m pytest tests/test_pdf.py -q -rs

test: unit-all unit-jax nbval browser pdf-check

# Training-speed benchmark (~40 min on 2 idle cores), then the two chapters that read it.
benchmark: $(VENV)/.installed data
	$(PY) -m benchmarks.speed
	$(PY) -m mnist_utils.runner --profile $(PROFILE) --only 08_compute_appendix --only 09_beyond_the_papers

# What the committed run store holds: runs per model, size, training time.
store: $(VENV)/.installed
	$(PY) -m mnist_utils.runs.store

check: $(VENV)/.installed
	$(PY) -m mnist_utils.runner --profile $(PROFILE) --check

clean:
	rm -rf _build

print-tex-packages:
	@echo $(TEX_PACKAGES)
