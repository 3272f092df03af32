"""load_hub_dataset: a local folder is read from its files alone, never through the shared datasets cache."""
import pandas as pd
import pytest

from affectlab.hub_data import load_hub_dataset


@pytest.fixture
def user_cache(tmp_path, monkeypatch):
    """An empty stand-in for ~/.cache/huggingface/datasets, as both the env var and datasets' config see it."""
    import datasets

    cache = tmp_path / "hf_datasets_cache"
    cache.mkdir()
    monkeypatch.setenv("HF_DATASETS_CACHE", str(cache))
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", cache)
    return cache


def write_csv_folder(folder, texts):
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"text": texts}).to_csv(folder / "train.csv", index=False)
    pd.DataFrame({"text": texts[:1]}).to_csv(folder / "test.csv", index=False)
    return folder


def test_a_local_load_writes_nothing_under_the_user_datasets_cache(tmp_path, user_cache):
    folder = write_csv_folder(tmp_path / "ed_v2", ["a", "b", "c"])
    dd = load_hub_dataset(str(folder))
    assert {s: dd[s]["text"] for s in dd} == {"train": ["a", "b", "c"], "test": ["a"]}
    assert load_hub_dataset(str(folder), split="train")["text"] == ["a", "b", "c"]
    assert sorted(user_cache.rglob("*")) == []
    # the stand-in is the folder datasets would fill: a plain load_dataset writes there
    import datasets
    datasets.load_dataset(str(folder), split="train")
    assert any(p.suffix == ".arrow" for p in user_cache.rglob("*"))


def test_a_local_dataset_holds_no_files_from_the_removed_private_cache(tmp_path):
    ds = load_hub_dataset(str(write_csv_folder(tmp_path / "src", ["x", "y"])), split="train")
    assert ds.cache_files == [] and ds.map(lambda r: {"n": len(r["text"])})["n"] == [1, 1]


def test_a_hub_id_keeps_the_shared_cache_and_its_revision(monkeypatch):
    import datasets

    calls = []
    monkeypatch.setattr(datasets, "load_dataset", lambda *a, **kw: calls.append((a, kw)) or "loaded")
    assert load_hub_dataset("org/name", "simplified", "train", revision="abc123") == "loaded"
    assert calls == [(("org/name",), {"name": "simplified", "split": "train", "revision": "abc123"})]
