"""The labeling tool driven in a real pseudo-terminal (crash, resume, undo, skip), and the CSV round trip."""
import csv
import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from affectlab.affect.labeling import export_csv, import_csv, read_candidates
from affectlab.errors import InputError
from affect_fixtures import read_jsonl, write_jsonl

SRC = Path(__file__).resolve().parents[3] / "src"
CANDIDATES = [
    {"id": "c1", "text": "Who were you texting at 2am?", "suggested": "hostile_intimacy", "source": "manual_chat",
     "session_id": "s1", "context": [{"role": "assistant", "text": "How was the party?"}],
     "prior": {"valence": -0.6, "intimacy": 0.6, "tension": 0.8}, "tags": ["hostile_intimacy"]},
    {"id": "c2", "text": "I'm at the store, need anything?", "suggested": "neutral_but_close", "source": "manual_chat",
     "session_id": "s2", "context": [], "prior": None, "tags": ["neutral_but_close"]},
    {"id": "c3", "text": "Nothing matters.", "suggested": "flat_numb", "source": "goemotions", "file": "go:train:3",
     "context": [], "prior": None, "tags": ["flat_numb"]},
    {"id": "c4", "text": "Please stop asking where I live.", "suggested": "safety_edge", "source": "synthetic_probe",
     "session_id": "scen:0", "context": [], "prior": None, "tags": ["safety_edge"]},
]


class Terminal:
    """`python -m affectlab.affect label ...` on the slave side of a pty; expect/send on the master side."""

    def __init__(self, cwd: Path):
        master, slave = pty.openpty()
        env = {**os.environ, "PYTHONPATH": str(SRC), "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen([sys.executable, "-m", "affectlab.affect", "label", "cand.jsonl", "--out",
                                      "labels.jsonl"], stdin=slave, stdout=slave, stderr=slave, cwd=cwd, env=env,
                                     start_new_session=True)
        os.close(slave)
        self.master, self.buffer = master, b""

    def expect(self, text: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while text.encode() not in self.buffer:
            ready, _, _ = select.select([self.master], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                raise AssertionError(f"no {text!r} on the terminal; it shows:\n{self.buffer.decode(errors='replace')[-800:]}")
            try:
                self.buffer += os.read(self.master, 4096)
            except OSError:  # the child closed the terminal
                raise AssertionError(f"terminal closed before {text!r}:\n{self.buffer.decode(errors='replace')[-800:]}")
        seen, _, self.buffer = self.buffer.partition(text.encode())
        return seen.decode(errors="replace")

    def send(self, line: str) -> None:
        os.write(self.master, line.encode() + b"\r")

    def answer(self, *answers: str) -> None:
        for prompt, value in zip(("valence", "intimacy", "tension", "confidence", "tags"), answers):
            self.expect("tags, comma-separated" if prompt == "tags" else f"{prompt} [")
            self.expect(": ")
            self.send(value)

    def close(self) -> int:
        code = self.proc.wait(timeout=30)
        os.close(self.master)
        return code


def test_a_crash_loses_nothing_and_the_next_session_resumes_undoes_and_skips(tmp_path):
    write_jsonl(tmp_path / "cand.jsonl", CANDIDATES)
    t = Terminal(tmp_path)
    t.expect("[1/4] c1")
    t.expect("How was the party?")
    t.expect("prior: valence -0.60  intimacy +0.60  tension +0.80")
    t.expect("valence [-1..1] (Enter = -0.60): ")
    t.send("2")                                         # out of range: asked again
    t.expect("! valence: 2 is outside [-1, 1]")
    t.expect("valence [-1..1] (Enter = -0.60): ")
    t.send("-0.7")
    t.expect("intimacy [-1..1] (Enter = +0.60): ")
    t.send("lots")                                      # not a number: asked again
    t.expect("! intimacy: must be a number in [-1, 1], got 'lots'")
    t.expect("intimacy [-1..1] (Enter = +0.60): ")
    t.send("0.5")
    t.expect("tension [-1..1] (Enter = +0.80): ")
    t.send("")                                          # Enter takes the prior
    t.expect("confidence [0..1]: ")
    t.send("0.9")
    t.expect("tags, comma-separated (Enter = hostile_intimacy): ")
    t.send("hostile_intimacy, jealousy, flat_nunb")     # misspelt archetype: asked again
    t.expect("! tags: 'flat_nunb' looks like a misspelt archetype 'flat_numb'")
    t.expect("tags, comma-separated (Enter = hostile_intimacy): ")
    t.send("hostile_intimacy, jealousy")
    t.expect("[2/4] c2")
    t.answer("0", "0.6", "-0.4", "0.8", "")
    t.expect("[3/4] c3")
    t.expect("valence [-1..1]: ")
    os.killpg(t.proc.pid, signal.SIGKILL)              # a crash in the middle of item 3
    t.close()
    first = read_jsonl(tmp_path / "labels.jsonl")
    assert [r["candidate_id"] for r in first] == ["c1", "c2"]
    assert first[0] == {"text": "Who were you texting at 2am?", "valence": -0.7, "intimacy": 0.5, "tension": 0.8,
                        "confidence": 0.9, "tags": ["hostile_intimacy", "jealousy"], "source": "manual_chat",
                        "candidate_id": "c1", "session_id": "s1",
                        "context": [{"role": "assistant", "text": "How was the party?"}]}
    assert first[1]["tags"] == ["neutral_but_close"] and "context" not in first[1]

    t = Terminal(tmp_path)                             # resumes at the first unlabeled candidate
    t.expect("2 labeled in labels.jsonl, 2 to go")
    t.expect("[3/4] c3")
    t.expect("valence [-1..1]: ")
    t.send("s")                                        # skip c3 (it comes back next session)
    t.expect("[3/3] c4")
    t.expect("valence [-1..1]: ")
    t.send("u")                                        # undo c2: it is asked again
    t.expect("undone: \"I'm at the store, need anything?\"")
    t.expect("[2/3] c2")
    t.answer("0.1", "0.7", "-0.5", "1", "neutral_but_close, care")
    t.expect("[3/3] c4")
    t.answer("-0.3", "0.1", "0.6", "0.7", "")
    t.expect("session: 2 labeled, 1 skipped, 1 undone; labels.jsonl holds 3")
    assert t.close() == 0
    final = read_jsonl(tmp_path / "labels.jsonl")
    assert [r["candidate_id"] for r in final] == ["c1", "c2", "c4"]
    assert final[1]["valence"] == 0.1 and final[1]["tags"] == ["neutral_but_close", "care"]
    assert final[2]["source"] == "synthetic_probe" and final[2]["tags"] == ["safety_edge"]


def test_quit_keeps_what_was_labeled(tmp_path):
    write_jsonl(tmp_path / "cand.jsonl", CANDIDATES)
    t = Terminal(tmp_path)
    t.answer("-0.5", "0.5", "0.5", "0.5", "")
    t.expect("[2/4] c2")
    t.expect("valence [-1..1]: ")
    t.send("q")
    t.expect("session: 1 labeled")
    assert t.close() == 0 and len(read_jsonl(tmp_path / "labels.jsonl")) == 1


def fill(sheet: Path, answers: dict[str, dict]) -> None:
    rows = list(csv.DictReader(sheet.open()))
    for row in rows:
        row.update(answers.get(row["candidate_id"], {}))
    with sheet.open("w", newline="") as f:
        w = csv.DictWriter(f, rows[0].keys())
        w.writeheader()
        w.writerows(rows)


def test_csv_round_trip_gives_the_records_the_terminal_would(tmp_path):
    write_jsonl(tmp_path / "cand.jsonl", CANDIDATES)
    sheet = tmp_path / "sheet.csv"
    assert export_csv(read_candidates(tmp_path / "cand.jsonl"), sheet) == 4
    fill(sheet, {"c1": {"valence": "-0.7", "intimacy": "0.5", "tension": "0.8", "confidence": "0.9",
                        "tags": "hostile_intimacy, jealousy"},
                 "c3": {"valence": "-0.5", "intimacy": "0", "tension": "-0.4", "confidence": "0.6", "tags": ""}})
    counts = import_csv(sheet, tmp_path / "labels.jsonl")
    assert counts == {"labeled": 2, "unlabeled": 2}
    records = read_jsonl(tmp_path / "labels.jsonl")
    assert records[0] == {"text": "Who were you texting at 2am?", "valence": -0.7, "intimacy": 0.5, "tension": 0.8,
                          "confidence": 0.9, "tags": ["hostile_intimacy", "jealousy"], "source": "manual_chat",
                          "candidate_id": "c1", "session_id": "s1",
                          "context": [{"role": "assistant", "text": "How was the party?"}]}
    assert records[1]["tags"] == ["flat_numb"] and records[1]["file"] == "go:train:3" and "session_id" not in records[1]


@pytest.mark.parametrize("answers, message", [
    ({"valence": "1.4", "intimacy": "0", "tension": "0", "confidence": "1"}, ":3: valence: 1.4 is outside [-1, 1]"),
    ({"valence": "0.1", "intimacy": "", "tension": "0", "confidence": "1"}, ":3: intimacy: missing"),
    ({"valence": "high", "intimacy": "0", "tension": "0", "confidence": "1"}, ":3: valence: must be a number, got 'high'"),
    ({"valence": "0", "intimacy": "0", "tension": "0", "confidence": "1", "tags": "flat_numb, playful_neutrl"}, ":3: tags: 'playful_neutrl' looks like a misspelt archetype"),
])
def test_a_bad_csv_row_is_named_by_file_line_and_field(tmp_path, answers, message):
    write_jsonl(tmp_path / "cand.jsonl", CANDIDATES)
    sheet = tmp_path / "sheet.csv"
    export_csv(read_candidates(tmp_path / "cand.jsonl"), sheet)
    fill(sheet, {"c2": answers})
    with pytest.raises(InputError) as e:
        import_csv(sheet, tmp_path / "labels.jsonl")
    assert str(e.value).startswith(f"{sheet}{message}")
    assert not (tmp_path / "labels.jsonl").exists()
