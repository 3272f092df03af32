"""EQ-Bench rows come from the folder named in params, read anew on every call (no shared datasets cache)."""
import os
from pathlib import Path

import pandas as pd
import pytest

from affectlab.errors import InputError
from affectlab.evaluation.prompt_sets import load_eqbench

REF = "{'emotion1': 'Hurt', 'emotion1_score': 6, 'emotion2': 'Excited', 'emotion2_score': 3, " \
      "'emotion3': 'Conflicted', 'emotion3_score': 7, 'emotion4': 'Relieved', 'emotion4_score': 0}"


def write_eqbench(folder: Path, prompts: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "validation.csv"
    pd.DataFrame({"prompt": prompts, "reference_answer": [""] * len(prompts),
                  "reference_answer_fullscale": [REF] * len(prompts)}).to_csv(path, index=False)
    return path


def prompts(folder: Path) -> list[str]:
    return [r["prompt"] for r in load_eqbench(str(folder), "validation")]


def test_two_eqbench_folders_with_the_same_layout_each_read_their_own_rows(tmp_path):
    mine, theirs = tmp_path / "mine" / "eqbench", tmp_path / "theirs" / "eqbench"
    write_eqbench(mine, ["mine 1", "mine 2"])
    write_eqbench(theirs, [f"theirs {i}" for i in range(5)])
    assert prompts(theirs) == [f"theirs {i}" for i in range(5)]
    assert prompts(mine) == ["mine 1", "mine 2"]


def test_an_eqbench_csv_rewritten_in_place_with_its_mtime_kept_is_read_anew(tmp_path):
    # a copy that keeps mtimes (cp -p, rsync -a) is the case a path + mtime cache key misses
    folder = tmp_path / "eqbench"
    path = write_eqbench(folder, ["old 1", "old 2", "old 3"])
    assert prompts(folder) == ["old 1", "old 2", "old 3"]
    stat = path.stat()
    write_eqbench(folder, [f"new {i}" for i in range(5)])
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    rows = load_eqbench(str(folder), "validation", limit=4)
    assert [r["prompt"] for r in rows] == ["new 0", "new 1", "new 2", "new 3"]
    assert rows[0]["meta"]["reference"] == {"Hurt": 6.0, "Excited": 3.0, "Conflicted": 7.0, "Relieved": 0.0}


def test_a_missing_split_is_one_line_naming_source_and_split(tmp_path):
    write_eqbench(tmp_path / "eqbench", ["a"])
    with pytest.raises(InputError, match=r"^EQ-Bench source: cannot load '.*eqbench' \(config None, split 'test'\): "
                                         r"ValueError: [^\n]*test"):
        load_eqbench(str(tmp_path / "eqbench"), "test")
