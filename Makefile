# Two commands from nothing: `make repro` (set up + dvc repro on the embedded default), `make test`.
# Set-up installs the lock file requirements/$(LOCK).lock (exact versions with hashes) with uv, in parallel.
# It compiles the bytecode at install time: with PYTHONDONTWRITEBYTECODE set (as on our machines) Python
# never caches it, and every stage and test process then compiled torch and transformers again (~12 s each).
# GPU users: `make repro LOCK=cuda` (PyPI's CUDA build of torch). `make lock` refreshes both locks.
PYTHON ?= python3
VENV ?= .venv
LOCK ?= cpu
UV_VERSION ?= 0.13.9
# Where the CPU torch wheel comes from: a local wheel folder when the machine has one (pip's
# PIP_FIND_LINKS, as on our CI machines), else PyTorch's CPU index.
FIND_LINKS ?= $(PIP_FIND_LINKS)
TORCH_CPU_INDEX ?= https://download.pytorch.org/whl/cpu
PYTEST_ARGS ?=
BASE ?= origin/main
REVIEW_ARGS ?=

BIN := $(abspath $(VENV))/bin
UV := $(BIN)/uv
TORCH_SOURCE := $(if $(FIND_LINKS),--find-links $(FIND_LINKS),--extra-index-url $(TORCH_CPU_INDEX) --index-strategy unsafe-best-match)
# The stamp names the lock, so switching LOCK re-syncs and a second run installs nothing.
STAMP := $(VENV)/.installed-$(LOCK)
RUN := PATH="$(BIN):$$PATH" HF_HUB_DISABLE_TELEMETRY=1
# The page template of `dvc plots show/diff` (.dvc/config plots.html_template): vega inlined, no CDN.
PLOTS_TEMPLATE := .dvc/plots_offline.html

.PHONY: setup repro test review lock clean-venv
setup: $(STAMP) $(PLOTS_TEMPLATE)

$(STAMP): requirements/$(LOCK).lock requirements/nodeps.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	test -x $(UV) || $(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(UV) pip sync --quiet --compile-bytecode --python $(BIN)/python --require-hashes $(if $(filter cpu,$(LOCK)),$(TORCH_SOURCE)) requirements/$(LOCK).lock
	$(UV) pip install --quiet --compile-bytecode --python $(BIN)/python --require-hashes --no-deps -r requirements/nodeps.lock
	$(UV) pip install --quiet --python $(BIN)/python --no-deps --no-build-isolation -e .
	rm -f $(VENV)/.installed-*
	touch $@

$(PLOTS_TEMPLATE): $(STAMP)
	$(BIN)/python -m affectlab.review.offline_template $@

# Re-resolve pyproject.toml's ranges to exact, hashed versions (tests/unit/test_lock.py checks they agree).
lock:
	uv pip compile --quiet --python-version 3.11 --generate-hashes --extra test --extra tools \
	  --custom-compile-command "make lock" $(TORCH_SOURCE) pyproject.toml requirements/cpu.in -o requirements/cpu.lock
	uv pip compile --quiet --python-version 3.11 --generate-hashes --extra test --extra tools \
	  --custom-compile-command "make lock" pyproject.toml requirements/cuda.in -o requirements/cuda.lock
	uv pip compile --quiet --python-version 3.11 --generate-hashes --no-deps \
	  --custom-compile-command "make lock" requirements/nodeps.in -o requirements/nodeps.lock

repro: setup
	$(RUN) dvc repro

# The suite CI runs: every test, unit, pipeline and reliability (kill-and-resume, same answer twice).
test: setup
	$(RUN) HF_HUB_OFFLINE=1 python -m pytest $(PYTEST_ARGS)

# One Markdown document of what a change did (params, metrics, stages, plots): make review BASE=main
review: setup
	$(RUN) python -m affectlab.review --base $(BASE) $(REVIEW_ARGS)

# The exported models in a browser: Streamlit on http://127.0.0.1:8501 (another port: make app APP_PORT=8600)
app: setup
	$(RUN) streamlit run src/affectlab/app.py --server.address 127.0.0.1 --server.port $(or $(APP_PORT),8501) \
	  --server.headless true --browser.gatherUsageStats false --client.toolbarMode minimal

clean-venv:
	rm -rf $(VENV)
