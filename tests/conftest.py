import os

import pytest

# Tests never touch the network; the hub profile is exercised with local folders.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


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


def pytest_configure(config):
    # tests/ holds shared helpers (harness, stage_graph) imported by name
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).parent))
