"""sample_sft against a mirror served over HTTP (issue 20, item 2): the hub profile's access pattern, offline.

Only `sample_sft` runs, so this module builds its own small repo (no prepared model, no smoke run) instead
of the session template the other pipeline modules share.
"""
import pandas as pd
import pytest
from range_server import serve_folder

pytestmark = pytest.mark.pipeline


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    from harness import build_template
    return build_template(tmp_path_factory.mktemp("sample_http") / "repo", prepare=(), smoke_run=False)


def test_sample_sft_over_http_draws_the_local_sample_and_the_server_sends_only_what_it_reads(repo):
    assert repo.repro("sample_sft") == ["sample_sft"]
    local = pd.read_parquet(repo.path("data/sft_audit/sample.parquet"))
    local_metrics = repo.read_json("metrics/sft_sample.json")

    mirror = repo.path("data/embedded/sft_mirror")
    with serve_folder(mirror.parent) as (url, traffic):
        repo.set_params({"sft_audit.sample.source": f"{url}/{mirror.name}"})
        assert repo.repro("sample_sft") == ["sample_sft"]
        sent = traffic.snapshot()
        heads = traffic.requests["head"]
    remote = pd.read_parquet(repo.path("data/sft_audit/sample.parquet"))
    metrics = repo.read_json("metrics/sft_sample.json")

    assert remote.equals(local) and metrics == local_metrics
    assert metrics["n_rows"] == 120 and metrics["short_sources"] == 0 and metrics["dataset_files"] == heads == 3
    # the wire carries the bytes the sampler counts (exact ranges, no read-ahead) plus small folder listings
    assert sent["range_bytes"] == metrics["bytes_read"] and sent["bytes"] - sent["range_bytes"] < 5000
    repo.assert_up_to_date("sample_sft")
