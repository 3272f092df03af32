import os
import sys

import pytest

# Tests never touch the network; the hub profile is exercised with local folders.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


@pytest.fixture(scope="session", autouse=True)
def private_datasets_cache(tmp_path_factory):
    """No test reads or fills the user's ~/.cache/huggingface/datasets (also in the `dvc repro` the pipeline
    tests run): an entry left there by other data could make a test pass or fail."""
    with pytest.MonkeyPatch.context() as mp:
        cache = tmp_path_factory.mktemp("hf_datasets_cache")
        mp.setenv("HF_DATASETS_CACHE", str(cache))
        if "datasets" in sys.modules:  # datasets reads the variable once, at import
            mp.setattr(sys.modules["datasets"].config, "HF_DATASETS_CACHE", cache)
        yield cache


@pytest.fixture(scope="session")
def dvc_template(tmp_path_factory):
    """The project with smoke params and a prepared base model, built once per test session."""
    from harness import build_template
    return build_template(tmp_path_factory.mktemp("template") / "repo")


@pytest.fixture
def dvc_repo(dvc_template, tmp_path):
    """A fresh copy of the template for one test (git + DVC, base model already prepared)."""
    from harness import clone_template
    return clone_template(dvc_template, tmp_path / "repo")
