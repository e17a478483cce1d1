# 審査ワークベンチ: one entry point for people and CI.
#   make demo   set up .venv if needed and run the main job on the demo round
#   make test   set up .venv if needed and run the whole test suite
#   make lab    JupyterLab in Japanese on 127.0.0.1, opened on notebooks/
#   make bench  benchmarks (figures printed, nothing asserted)
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
ROUND  ?= $(or $(SCORING_ROUND),data/demo)
PORT   ?= 8888

.PHONY: setup demo test lab bench template validate clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	$(PY) -m scoring lab-settings
	touch $(STAMP)

demo: $(STAMP)
	$(PY) -m scoring run --round $(ROUND)

validate: $(STAMP)
	$(PY) -m scoring validate $(ROUND)/applications

template: $(STAMP)
	$(PY) -m scoring template reports/応募書様式.xlsx

test: $(STAMP)
	$(PY) -m pytest

lab: $(STAMP)
	$(VENV)/bin/jupyter lab --ip 127.0.0.1 --port $(PORT) --no-browser --notebook-dir notebooks

bench: $(STAMP)
	$(PY) benchmarks/bench_intake.py

clean:
	rm -rf $(VENV) reports .pytest_cache
