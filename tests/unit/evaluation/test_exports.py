import pytest

from affectlab.errors import InputError
from affectlab.evaluation.exports import check_parity, validate_rows


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
