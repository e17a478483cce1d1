# 審査ワークベンチ: one entry point for people and CI.
#   make demo   set up .venv if needed and run the main job on the demo round
#   make deps   (as root) install the Debian and npm packages the tests and the server need
#   make test   set up .venv if needed and run the whole test suite (checks the packages, installs none)
#   make lab    JupyterLab in Japanese on 127.0.0.1, opened on notebooks/
#   make committee  the committee dashboard (Voilà, no code shown, offline) on 127.0.0.1:8866
#   make bench  benchmarks (figures printed, nothing asserted)
#   make docs   (as root) the README's pictures in docs/ (committee.pdf page 1, the reviewer form on a throw-away hub)
#   make hub    (as root) the multi-reviewer server: JupyterHub on 127.0.0.1:8000 for ROUND
#   make hub-remove  (as root) remove what make hub left: accounts, group, site folder (HUB_SITE)
# The interpreter .venv is made from: the distribution's /usr/bin/python3 where it is 3.10 or newer
# and has venv (also the one every hub account can run; Debian builds it with PGO and LTO, and our
# tests and reports run about 23 % faster on it than on a default pyenv build), else python3 on
# PATH. An existing .venv is kept; PYTHON=... chooses another.
SYSTEM_PYTHON_OK = $(shell /usr/bin/python3 -c 'import sys, venv, ensurepip; print(int(sys.version_info >= (3, 10)))' 2>/dev/null)
PYTHON ?= $(if $(filter 1,$(SYSTEM_PYTHON_OK)),/usr/bin/python3,python3)
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
ROUND  ?= $(or $(SCORING_ROUND),data/demo)
PORT   ?= 8888
COMMITTEE_PORT ?= 8866
# The bundled demo round gets its simulated scores from an explicit step (loading only reads);
# `scoring demo` writes them once, into an empty store, and says so when they are there.
# Checkpoints are signed with the analyst's key: `keys init` makes it once (never replaces it)
# and lists its public key in the round's keys/public_keys.json.
DEMO_SCORES = $(PY) -m scoring keys init --round $(ROUND) && $(if $(filter data/demo $(CURDIR)/data/demo,$(ROUND)),$(PY) -m scoring demo --round $(ROUND),true)

.PHONY: setup deps demo test lab committee bench simulate template validate docs clean hub hub-remove

setup: $(STAMP)

# The last step builds mypy's incremental cache (.mypy_cache, [tool.mypy] cache_dir) once, ~1 min
# of CPU, so that tests/test_typing.py in `make test` checks only what changed (~1 s warm); the
# verdict is the test's, not set-up's.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	$(PY) -m scoring lab-settings
	-$(PY) -m mypy >/dev/null 2>&1
	touch $(STAMP)

# Debian packages and npm's configurable-http-proxy and axe-core (scripts/system-deps.sh): the only target
# that installs system packages. `make test` only checks that they are there.
deps:
	bash scripts/system-deps.sh

# Writes into $(ROUND)/reports/ (the paths are printed at the end).
demo: $(STAMP)
	$(DEMO_SCORES)
	$(PY) -m scoring run --round $(ROUND)
	@echo "出力フォルダ: $(ROUND)/reports/"

validate: $(STAMP)
	$(PY) -m scoring validate $(ROUND)

template: $(STAMP)
	mkdir -p reports
	$(PY) -m scoring template reports/応募書様式.xlsx

# The slowest tests are listed at the end, to keep the suite one can wait for (target: 5 min on 2 cores).
# Two worker processes, one test file each at a time (module fixtures stay in one process), and
# tests/deploy at the same time beside them (it sets up system accounts and one JupyterHub for the
# session and mostly waits on the hub, PostgreSQL and the browser); its output follows the main
# suite's. Ctrl-C reaches both (`trap - INT`: a background job would ignore it and skip the
# clean-up of its accounts). Fails if either fails. Bytecode caches are written (git ignores
# __pycache__) even where PYTHONDONTWRITEBYTECODE is set: without them each of the three pytest
# processes rewrites the asserts of every test module on every run (about 20 s of CPU).
test: $(STAMP)
	bash scripts/system-deps.sh --check
	@unset PYTHONDONTWRITEBYTECODE; log=$$(mktemp); \
	( trap - INT; exec $(PY) -m pytest tests/deploy --durations=5 -p no:cacheprovider >$$log 2>&1 ) & deploy=$$!; \
	$(PY) -m pytest -n 2 --dist loadfile --no-loadscope-reorder --ignore=tests/deploy --durations=15; main=$$?; \
	wait $$deploy; rc=$$?; echo "== tests/deploy (run beside the main suite)"; cat $$log; rm -f $$log; \
	test $$main -eq 0 && test $$rc -eq 0

# As root (a one-person machine set up as root, like the server's), JupyterLab needs --allow-root;
# it still listens on 127.0.0.1 only. On the server, the analyst uses the hub instead (make hub).
lab: $(STAMP)
	$(DEMO_SCORES)
	@if [ "$$(id -u)" = 0 ]; then echo "管理者（root）として起動します（127.0.0.1 のみ）。サーバー（make hub）の機械では、分析担当のアカウントでハブから開いてください。"; fi
	$(VENV)/bin/jupyter lab --ip 127.0.0.1 --port $(PORT) --no-browser --notebook-dir notebooks $$([ "$$(id -u)" = 0 ] && echo --allow-root)

# Voilà with the offline template scoring/ui/jupyter/voila/templates/shinsa (no CDN, no code shown).
committee: $(STAMP)
	$(DEMO_SCORES)
	SCORING_ROUND=$(abspath $(ROUND)) JUPYTER_PATH=$(CURDIR)/scoring/ui/jupyter \
	  $(VENV)/bin/voila notebooks/04_committee.ipynb --template=shinsa \
	  --Voila.ip=127.0.0.1 --port=$(COMMITTEE_PORT) --no-browser

# The multi-reviewer server (README「複数の審査員で使う（サーバー）」), as root: accounts from
# ROUND's reviewers.yaml, one PostgreSQL role each (HUB_DATABASE_URL = the database owner's URL;
# without it a throw-away cluster for a trial), JupyterHub on 127.0.0.1:$(HUB_PORT).
HUB_PORT ?= 8000
HUB_SITE ?= /srv/shinsa
hub: $(STAMP) deps
	$(PY) -m pip install --quiet -e '.[hub]'
	$(PY) deploy/run_hub.py --round $(ROUND) --site $(HUB_SITE) --port $(HUB_PORT) $(if $(HUB_PASSWORDS),--passwords $(HUB_PASSWORDS))

# Only what hub-setup created: its accounts (uid 70000–70999, comment shinsa-workbench) and their
# homes, the group if it made it, $(HUB_SITE), trial PostgreSQL clusters left by a killed hub.
hub-remove: $(STAMP)
	$(PY) -m scoring hub-remove --site $(HUB_SITE)

# Every benchmark prints its figures (targets in brackets); nothing is asserted.
# The method simulation (make simulate) takes a few minutes and is kept separate.
BENCHES := bench_startup bench_intake bench_store bench_audit bench_combine bench_tuning bench_stability bench_selection bench_committee bench_hub_load bench_archive
bench: $(STAMP)
	@for b in $(BENCHES); do echo "== $$b"; $(PY) benchmarks/$$b.py || exit 1; done

simulate: $(STAMP)
	$(PY) benchmarks/simulate_methods.py
	$(PY) benchmarks/affinity_figure_skating.py

# The README's pictures (docs/*.png) and their pages' text (docs/*.txt): committee.pdf's first page,
# and the reviewer form as r1 sees it on the demo round's hub (set up as make hub does, removed as
# make hub-remove does, within the run; as root).
docs: $(STAMP) deps
	$(PY) scripts/make_docs.py

clean:
	rm -rf $(VENV) reports data/demo/reports .pytest_cache
