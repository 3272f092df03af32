import importlib.util
from pathlib import Path

import pyarrow.parquet as pq

from affectlab.sampling import AuditSampleSettings, open_dataset, sample_sft
from repo_params import settings as repo_settings

MIRROR = Path(__file__).resolve().parents[3] / "data/embedded/sft_mirror"


def _script():
    spec = importlib.util.spec_from_file_location("make_sft_mirror", MIRROR.parent / "make_sft_mirror.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_script_reproduces_the_mirror_byte_for_byte(tmp_path):
    built = _script().build(tmp_path)
    committed = sorted(MIRROR.glob("*.parquet"))
    assert [p.name for p in built] == [p.name for p in committed]
    for new, old in zip(built, committed):
        assert new.read_bytes() == old.read_bytes(), f"{old.name} differs from what the script builds"
    assert sum(p.stat().st_size for p in committed) < 10 * 2**20


def test_mirror_has_unequal_sorted_sources_over_several_shards_and_row_groups():
    ds = open_dataset(str(MIRROR))
    rows = ds.rows_per_source
    total = sum(rows.values())
    assert len(rows) >= 6 and min(rows.values()) / total < 0.02 and max(rows.values()) / total > 0.3
    assert len(ds.files) >= 3 and all(md.num_row_groups >= 4 for md in ds.metadata)
    sources = [s for f in ds.files for s in pq.read_table(f, columns=["dataset_source"]).column(0).to_pylist()]
    assert sources == sorted(sources)
    assert ds.groups_scanned >= 3  # row groups spanning a source boundary


def test_mirror_contains_the_awkward_rows_the_audit_must_handle():
    sample, m = sample_sft(repo_settings(AuditSampleSettings, source=str(MIRROR), n=20_000, turns="all"))
    assert m["skipped_no_assistant_turn"] > 0 and m["records_unclosed_think"] > 0
    assert (~sample["has_think"]).sum() > 0 and (sample["turn"] > 0).sum() > 0
    assert (sample["think"].str.split().str.len() > 512).sum() > 0
