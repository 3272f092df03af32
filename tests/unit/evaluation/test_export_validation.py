import pytest

from affectlab.errors import InputError
from affectlab.evaluation.validation import check_parity, read_exports, validate_rows
from affectlab.io import write_jsonl_atomic


def row(pid, prompt="p", **kw):
    return {"prompt_id": pid, "prompt": prompt, "model": "base", "response": "r", "meta": {},
            "decoding": {"do_sample": False}, **kw}


def numbered(*rows):
    return list(enumerate(rows, start=1))


def test_valid_rows_pass_and_pair_up():
    base, sft = numbered(row("a"), row("b")), numbered(row("b"), row("a"))
    validate_rows(base, "base.jsonl")
    check_parity(base, sft, "base.jsonl", "sft.jsonl")


def test_missing_field_and_wrong_type_name_file_and_line():
    bad = row("a")
    del bad["response"]
    with pytest.raises(InputError, match=r"base.jsonl:2: missing field\(s\) response"):
        validate_rows(numbered(row("z"), bad), "base.jsonl")
    with pytest.raises(InputError, match=r"base.jsonl:1: meta must be dict, got str"):
        validate_rows(numbered(row("a", meta="x")), "base.jsonl")
    with pytest.raises(InputError, match=r"base.jsonl:1: unexpected field\(s\) score"):
        validate_rows(numbered(row("a", score=1)), "base.jsonl")


def test_duplicated_prompt_is_caught():
    with pytest.raises(InputError, match=r"sft.jsonl:3: duplicate prompt_id 'a' \(first at line 1\)"):
        validate_rows(numbered(row("a"), row("b"), row("a")), "sft.jsonl")


def test_missing_prompt_is_caught_on_either_side():
    base, sft = numbered(row("a"), row("b")), numbered(row("a"))
    with pytest.raises(InputError, match=r"sft.jsonl: prompt_id 'b' is missing \(present in base.jsonl:2\)"):
        check_parity(base, sft, "base.jsonl", "sft.jsonl")
    with pytest.raises(InputError, match=r"base.jsonl: prompt_id 'b' is missing"):
        check_parity(sft, base, "base.jsonl", "sft.jsonl")


def test_changed_prompt_text_is_caught():
    with pytest.raises(InputError, match=r"sft.jsonl:1: prompt of 'a' differs from base.jsonl:1"):
        check_parity(numbered(row("a", "x")), numbered(row("a", "y")), "base.jsonl", "sft.jsonl")


def test_read_exports_returns_paired_rows_and_names_the_file_of_a_bad_row(tmp_path):
    write_jsonl_atomic([row("a"), row("b")], tmp_path / "base/qual.jsonl")
    for model in ("sft", "dpo"):
        write_jsonl_atomic([row("a", model=model), row("b", model=model)], tmp_path / f"{model}/qual.jsonl")
    exports = read_exports(tmp_path, ["qual"])
    assert [r["prompt_id"] for r in exports["dpo"]["qual"]] == ["a", "b"] and exports["base"]["qual"][0]["model"] == "base"
    assert list(exports) == ["base", "sft", "dpo"]  # the report's column order
    write_jsonl_atomic([row("a", model="dpo")], tmp_path / "dpo/qual.jsonl")
    with pytest.raises(InputError, match=r"dpo/qual.jsonl: prompt_id 'b' is missing \(present in .*base/qual.jsonl:2\)"):
        read_exports(tmp_path, ["qual"])
