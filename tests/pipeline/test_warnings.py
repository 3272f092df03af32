"""No deprecation warning of our own making in a whole `dvc repro` (issue 17, item 2): the session template's
smoke run (every stage of dvc.yaml; tests/harness.py) is read for the warnings Python and transformers print.
The unit tests turn FutureWarning into an error (pyproject.toml); this covers the stages' own processes.
"""
import re

import pytest

pytestmark = pytest.mark.pipeline

# Python's warnings (`...py:12: FutureWarning: ...`) and transformers' logged deprecations ("... is deprecated")
DEPRECATION = re.compile(r"(FutureWarning|DeprecationWarning|PendingDeprecationWarning|\bis deprecated\b|"
                         r"\bare deprecated\b|will be removed in)", re.I)


def test_the_smoke_pipeline_prints_no_deprecation_warning(dvc_template):
    hits = [line for line in dvc_template.smoke_log.splitlines() if DEPRECATION.search(line)]
    assert not hits, f"{len(hits)} deprecation line(s) in the smoke dvc repro:\n" + "\n".join(hits[:20])
