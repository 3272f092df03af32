import pytest

from affectlab.errors import InputError
from affectlab.review.lockfile import parse_lock, stage_changes


def lock(stages: dict) -> str:
    import yaml
    return yaml.safe_dump({"schema": "2.0", "stages": {
        name: {"cmd": f"python stages/{name}.py", "deps": [{"path": "in", "md5": dep}],
               "outs": [{"path": p, "md5": h} for p, h in outs.items()]}
        for name, (dep, outs) in stages.items()}})


def test_stage_changes_name_the_outs_that_differ_and_added_removed_and_rerun_stages():
    base = parse_lock(lock({"a": ("d1", {"x": "1"}), "b": ("d1", {"y": "1", "z": "1"}), "c": ("d1", {"w": "1"}),
                            "gone": ("d1", {"g": "1"})}), "base")
    head = parse_lock(lock({"a": ("d1", {"x": "1"}), "b": ("d2", {"y": "2", "z": "1"}), "c": ("d2", {"w": "1"}),
                            "new": ("d1", {"n": "1"})}), "head")
    got = {s.stage: (s.status, s.outs) for s in stage_changes(base, head)}
    assert got == {"a": ("unchanged", ()), "b": ("outs changed", ("y",)), "c": ("re-ran, same outs", ()),
                   "new": ("added", ("n",)), "gone": ("removed", ("g",))}


def test_no_lock_is_no_stage_and_a_broken_lock_is_named():
    assert parse_lock(None, "base") == {}
    with pytest.raises(InputError, match=r"^main \(abc1234\): dvc.lock is not valid YAML"):
        parse_lock("stages: [unclosed", "main (abc1234)")
