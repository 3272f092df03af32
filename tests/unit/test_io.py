import json

import h5py
import numpy as np
import pandas as pd
import pytest

from affectlab.errors import InputError
from affectlab.io import (append_jsonl, atomic_dir, atomic_path, fingerprint, hdf5_atomic, read_jsonl, read_parquet,
                          write_json_atomic, write_jsonl_atomic, write_parquet_atomic)


def test_failed_atomic_write_keeps_the_old_file_and_leaves_no_temp(tmp_path):
    target = tmp_path / "out.json"
    write_json_atomic({"v": 1}, target)
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("killed")
    assert json.loads(target.read_text()) == {"v": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_json_numpy_and_nan_become_plain_json(tmp_path):
    write_json_atomic({"a": np.float32(0.5), "b": np.arange(2), "c": float("nan")}, tmp_path / "m.json")
    assert json.loads((tmp_path / "m.json").read_text()) == {"a": 0.5, "b": [0, 1], "c": None}


def test_atomic_dir_replaces_the_whole_folder_only_on_success(tmp_path):
    target = tmp_path / "model"
    with atomic_dir(target) as tmp:
        (tmp / "a.bin").write_text("1")
    with pytest.raises(RuntimeError):
        with atomic_dir(target) as tmp:
            (tmp / "b.bin").write_text("2")
            raise RuntimeError
    assert sorted(p.name for p in target.iterdir()) == ["a.bin"]
    with atomic_dir(target) as tmp:
        (tmp / "c.bin").write_text("3")
    assert sorted(p.name for p in target.iterdir()) == ["c.bin"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]


def test_jsonl_roundtrip_and_line_numbered_errors(tmp_path):
    path = tmp_path / "x.jsonl"
    assert write_jsonl_atomic([{"a": 1}, {"a": 2}], path) == 2
    assert [(n, r["a"]) for n, r in read_jsonl(path)] == [(1, 1), (2, 2)]
    path.write_text('{"a": 1}\n\n{"a": \n')
    with pytest.raises(InputError, match=r"x.jsonl:3: not valid JSON"):
        list(read_jsonl(path))
    path.write_text('{"a": 1}\n[1, 2]\n')
    with pytest.raises(InputError, match=r"x.jsonl:2: expected a JSON object, got list"):
        list(read_jsonl(path))


def test_truncated_checkpoint_tail_is_skipped_only_when_allowed(tmp_path, caplog):
    path = tmp_path / "ckpt.jsonl"
    append_jsonl([{"i": 0}, {"i": 1}], path)
    with open(path, "a") as f:
        f.write('{"i": 2, "te')  # a kill in the middle of a write
    assert [r["i"] for _, r in read_jsonl(path, allow_truncated_tail=True)] == [0, 1]
    assert "ckpt.jsonl:3: ignoring a truncated last line" in caplog.text
    with pytest.raises(InputError, match="ckpt.jsonl:3"):
        list(read_jsonl(path))


def test_appending_after_a_killed_write_leaves_a_file_every_reader_accepts(tmp_path, caplog):
    path = tmp_path / "ckpt.jsonl"
    append_jsonl([{"i": 0}], path)
    with open(path, "a") as f:
        f.write('{"i": 1, "te')  # killed mid-row: resuming appends after it
    append_jsonl([{"i": 1}, {"i": 2}], path)
    assert "ckpt.jsonl:2: dropping a truncated last line" in caplog.text
    assert [r["i"] for _, r in read_jsonl(path)] == [0, 1, 2]  # strict: no bad line left in the middle
    hand = tmp_path / "labels.jsonl"
    hand.write_text('{"i": 0}\n{"i": 1}')  # a team's file without a final newline: its last row is kept
    append_jsonl([{"i": 2}], hand)
    assert [r["i"] for _, r in read_jsonl(hand)] == [0, 1, 2]


def test_a_bad_line_in_the_middle_is_an_error_even_when_tail_truncation_is_allowed(tmp_path):
    path = tmp_path / "ckpt.jsonl"
    path.write_text('{"i": 0}\n{"i": \n{"i": 2}\n')
    with pytest.raises(InputError, match="ckpt.jsonl:2"):
        list(read_jsonl(path, allow_truncated_tail=True))


def test_parquet_roundtrip_and_missing_column_is_named(tmp_path):
    path = tmp_path / "t.parquet"
    write_parquet_atomic(pd.DataFrame({"id": [1, 2], "text": ["a", "b"]}), path)
    assert read_parquet(path, ["text"])["text"].tolist() == ["a", "b"]
    with pytest.raises(InputError, match=r"t.parquet: missing column\(s\) label \(has id, text\)"):
        read_parquet(path, ["text", "label"])
    with pytest.raises(InputError, match="nope.parquet: file not found"):
        read_parquet(tmp_path / "nope.parquet")


def test_hdf5_file_appears_only_after_the_block(tmp_path):
    path = tmp_path / "layer_00.h5"
    with hdf5_atomic(path) as f:
        f.create_dataset("x", data=np.ones((2, 3), dtype=np.float16))
        f.attrs["layer"] = 0
        assert not path.exists()
    with h5py.File(path) as f:
        assert f["x"].shape == (2, 3) and f.attrs["layer"] == 0


def test_fingerprint_changes_with_settings_and_file_bytes_only(tmp_path):
    w = tmp_path / "w.bin"
    w.write_bytes(b"abc")
    decoding = {"do_sample": False, "max_new_tokens": 8}
    a = fingerprint(decoding, [w])
    assert fingerprint({"max_new_tokens": 8, "do_sample": False}, [w]) == a  # key order does not matter
    assert fingerprint({**decoding, "max_new_tokens": 9}, [w]) != a
    w.write_bytes(b"abd")
    assert fingerprint(decoding, [w]) != a
    assert len(a) == 16 and fingerprint(decoding) != a
