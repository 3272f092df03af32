import logging

import numpy as np
import pyarrow as pa
import pytest
from shards import conversation, make_rows, write_shards

from affectlab.errors import InputError
from affectlab.sampling import COLUMNS, AuditSampleSettings, open_dataset, sample_sft
from repo_params import settings as repo_settings

SIZES = {"alpha": 120, "beta": 45, "gamma": 30, "delta": 5}  # sorted: alpha, beta, delta, gamma


@pytest.fixture
def folder(tmp_path):
    write_shards(tmp_path, make_rows(SIZES), files=2, row_group_size=20)
    return tmp_path


def settings(folder, **kw):
    return repo_settings(AuditSampleSettings, source=str(folder), **{"min_per_source": 0, **kw})


def test_index_counts_rows_per_source_and_reads_the_source_column_only_where_statistics_span_sources(folder):
    ds = open_dataset(str(folder))
    assert ds.rows_per_source == SIZES
    # 200 rows, 2 files of 100 rows, groups of 20: boundaries at rows 120 (alpha|beta: a group edge), 165
    # (beta|delta, inside group 160-180) and 170 (delta|gamma, same group): exactly one mixed group
    assert sum(md.num_row_groups for md in ds.metadata) == 10 and ds.groups_scanned == 1
    delta = ds.sources["delta"]
    assert (delta.row.tolist(), delta.length.tolist(), delta.start.tolist()) == ([165], [5], [5])


def test_statistics_are_found_when_nested_columns_come_before_the_source_column(tmp_path):
    rows = make_rows(SIZES)
    write_shards(tmp_path, rows, files=2, row_group_size=20, schema=pa.schema(
        [("messages", pa.list_(pa.struct([("role", pa.string()), ("content", pa.string())]))),
         ("id", pa.string()), ("dataset_source", pa.string())]))
    ds = open_dataset(str(tmp_path))
    assert ds.rows_per_source == SIZES and ds.groups_scanned == 1


def test_proportional_sample_has_exact_counts_and_the_sample_columns(folder):
    sample, m = sample_sft(settings(folder, n=40, min_per_source=2))
    assert list(sample.columns) == COLUMNS and len(sample) == 40
    counts = sample["source"].value_counts().to_dict()
    assert counts == {s: m[f"sources.{s}.allocated"] for s in SIZES} and sum(counts.values()) == 40
    assert counts["delta"] == 2
    for r in sample.itertuples():  # every row is the row it claims to be
        assert r.id == f"{r.source}-{r.row - sum(v for k, v in SIZES.items() if k < r.source)}"
        assert r.think == f"thinking about {r.id.replace('-', ' ')}" and r.response.startswith("answer ")
    assert sample["row"].is_unique and m["dataset_rows"] == 200 and m["n_rows"] == 40


def test_same_seed_same_sample_and_another_seed_another_sample(folder):
    a, _ = sample_sft(settings(folder, n=30, seed=1))
    b, _ = sample_sft(settings(folder, n=30, seed=1))
    c, _ = sample_sft(settings(folder, n=30, seed=2))
    assert a.equals(b) and not a["row"].equals(c["row"])


def test_adding_a_source_does_not_change_the_rows_drawn_from_the_others(tmp_path):
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    write_shards(tmp_path / "a", make_rows({"alpha": 100, "beta": 50}), files=1)
    write_shards(tmp_path / "b", make_rows({"alpha": 100, "beta": 50, "zeta": 50}), files=1)
    a, _ = sample_sft(settings(tmp_path / "a", allocation={"alpha": 10, "beta": 5}))
    b, _ = sample_sft(settings(tmp_path / "b", allocation={"alpha": 10, "beta": 5, "zeta": 5}))
    assert a["id"].tolist() == b.loc[b.source != "zeta", "id"].tolist()


def test_only_the_row_groups_holding_drawn_rows_are_read(folder):
    _, m = sample_sft(settings(folder, allocation={"delta": 5}))
    assert m["row_groups_read"] == 1 and m["n_rows"] == 5
    _, full = sample_sft(settings(folder, n=200))
    data_bytes = {k: x["bytes_read"] - x["bytes_read_index"] for k, x in (("one", m), ("all", full))}
    assert 0 < data_bytes["one"] < data_bytes["all"] / 5


def test_cluster_mode_draws_each_source_from_few_row_groups_and_reads_less(folder):
    plain, mp = sample_sft(settings(folder, n=20))
    cluster, mc = sample_sft(settings(folder, n=20, row_groups_per_source=1))
    assert cluster["source"].value_counts().to_dict() == plain["source"].value_counts().to_dict()
    alpha = cluster.loc[cluster.source == "alpha", "row"]
    assert (alpha // 20).nunique() == 1 and mc["sources.alpha.row_groups_sampled"] == 1
    assert mc["row_groups_read"] < mp["row_groups_read"] and mc["bytes_read"] < mp["bytes_read"]


def test_cluster_mode_adds_row_groups_when_the_chosen_ones_hold_too_few_rows(folder):
    sample, m = sample_sft(settings(folder, allocation={"alpha": 50}, row_groups_per_source=1))
    assert len(sample) == 50 and (sample["row"] // 20).nunique() == m["sources.alpha.row_groups_sampled"] == 3


def test_rows_without_an_assistant_turn_are_skipped_counted_and_replaced(tmp_path):
    def messages(source, i):
        return [{"role": "user", "content": "hi"}] if i % 2 else conversation(source, i)
    write_shards(tmp_path, make_rows({"alpha": 40, "beta": 10}, messages), files=1)
    sample, m = sample_sft(settings(tmp_path, allocation={"alpha": 15, "beta": 5}))
    assert sample["source"].value_counts().to_dict() == {"alpha": 15, "beta": 5}
    assert m["skipped_no_assistant_turn"] > 0 and m["skipped_no_assistant_turn"] == (
        m["sources.alpha.skipped_no_assistant_turn"] + m["sources.beta.skipped_no_assistant_turn"])
    assert all(int(i.split("-")[1]) % 2 == 0 for i in sample["id"])


def test_a_source_with_fewer_usable_rows_than_its_allocation_gives_all_and_metrics_show_it(folder, caplog):
    with caplog.at_level(logging.WARNING):
        sample, m = sample_sft(settings(folder, allocation={"delta": 8, "gamma": 3}))
    assert (m["sources.delta.target"], m["sources.delta.allocated"], m["sources.delta.drawn"]) == (8, 5, 5)
    assert m["short_sources"] == 1 and "'delta' has 5 rows, fewer than its allocation 8" in caplog.text
    assert len(sample) == 8


def test_n_larger_than_the_dataset_returns_every_row_once(folder, caplog):
    with caplog.at_level(logging.WARNING):
        sample, m = sample_sft(settings(folder, n=10_000))
    assert len(sample) == 200 and sample["row"].tolist() == sorted(range(200), key=lambda r: (
        [k for k in sorted(SIZES) for _ in range(SIZES[k])][r], r))
    assert "larger than the dataset" in caplog.text and m["short_sources"] == 4


def test_all_turns_gives_one_record_per_assistant_turn(tmp_path):
    def two_turns(source, i):
        return conversation(source, i) + [{"role": "user", "content": "more"},
                                          {"role": "assistant", "content": "second answer"}]
    write_shards(tmp_path, make_rows({"alpha": 10}, two_turns), files=1)
    sample, m = sample_sft(settings(tmp_path, n=4, turns="all"))
    assert len(sample) == 8 and m["n_rows"] == 4 and sample["turn"].tolist() == [0, 1] * 4
    assert sample.loc[sample.turn == 1, "has_think"].eq(False).all()
    last, _ = sample_sft(settings(tmp_path, n=4, turns="last"))
    assert last["response"].eq("second answer").all()


def test_missing_source_column_is_an_error_naming_the_column_and_the_file(tmp_path):
    rows = [{"id": r["id"], "messages": r["messages"]} for r in make_rows({"a": 5})]
    write_shards(tmp_path, rows, files=1, schema=pa.schema(
        [("id", pa.string()), ("messages", pa.list_(pa.struct([("role", pa.string()), ("content", pa.string())])))]))
    with pytest.raises(InputError, match=r"part-000\.parquet: missing column 'dataset_source'"):
        sample_sft(settings(tmp_path))


def test_missing_messages_column_is_an_error_naming_the_column_and_the_file(tmp_path):
    rows = [{"id": "x", "dataset_source": "a"}]
    write_shards(tmp_path, rows, files=1, schema=pa.schema([("id", pa.string()), ("dataset_source", pa.string())]))
    with pytest.raises(InputError, match=r"part-000\.parquet: missing column 'messages'"):
        sample_sft(settings(tmp_path))


def test_messages_that_are_not_a_list_are_an_error_naming_the_file(tmp_path):
    rows = [{"id": "x", "dataset_source": "a", "messages": "user: hi"}]
    write_shards(tmp_path, rows, files=1, schema=pa.schema(
        [("id", pa.string()), ("dataset_source", pa.string()), ("messages", pa.string())]))
    with pytest.raises(InputError, match=r"part-000\.parquet: column 'messages' is string, expected a list"):
        sample_sft(settings(tmp_path))


def test_empty_parquet_folder_is_an_error(tmp_path):
    (tmp_path / "notes.txt").write_text("no data")
    with pytest.raises(InputError, match=r"no parquet files found"):
        sample_sft(settings(tmp_path))


def test_null_source_names_the_file_and_row(tmp_path):
    rows = make_rows({"a": 5})
    rows[3]["dataset_source"] = None
    write_shards(tmp_path, rows, files=1)
    with pytest.raises(InputError, match=r"part-000\.parquet:3: dataset_source is null"):
        sample_sft(settings(tmp_path))


def test_an_fsspec_url_goes_through_the_same_code_as_a_local_folder(folder):
    import fsspec
    fs = fsspec.filesystem("memory")
    fs.mkdir("/mirror")
    write_shards("/mirror", make_rows(SIZES), files=2, row_group_size=20, fs=fs)
    try:
        remote, mr = sample_sft(settings("memory://mirror", n=40, seed=3))
        local, ml = sample_sft(settings(folder, n=40, seed=3))
    finally:
        fs.rm("/mirror", recursive=True)
    assert remote.equals(local)
    assert mr["row_groups_scanned_for_source"] == ml["row_groups_scanned_for_source"] == 1
    assert np.isclose(mr["bytes_read"], ml["bytes_read"], rtol=0.05)


def test_an_http_folder_gives_the_local_sample_and_the_server_sends_only_the_bytes_the_sampler_reads(folder):
    from range_server import serve_folder
    local, ml = sample_sft(settings(folder, n=40, seed=3, row_groups_per_source=1))
    with serve_folder(folder.parent) as (url, traffic):
        remote, mr = sample_sft(settings(f"{url}/{folder.name}", n=40, seed=3, row_groups_per_source=1))
        sent = traffic.snapshot()
    assert remote.equals(local)
    assert {k: v for k, v in mr.items() if k != "bytes_read_fraction"} == \
        {k: v for k, v in ml.items() if k != "bytes_read_fraction"}
    # exact-range reads: no read-ahead block (fsspec's HTTP default is 5 MiB) reaches the wire
    assert sent["range_bytes"] == mr["bytes_read"]
    assert sent["bytes"] - sent["range_bytes"] < 2000  # the folder listings
    # one HEAD per file for its size (an HTML listing has none), none again when a file is reopened
    assert traffic.requests["head"] == mr["dataset_files"] == 2 and sent["range_requests"] >= 2


def test_an_http_folder_that_is_not_there_is_an_error_naming_the_url(tmp_path):
    from range_server import serve_folder
    with serve_folder(tmp_path) as (url, _):
        with pytest.raises(InputError, match=rf"{url}/missing: no such folder"):
            sample_sft(settings(f"{url}/missing"))
