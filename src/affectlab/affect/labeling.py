"""Label harvested candidates: a terminal session (plain prompts) or a spreadsheet round trip (CSV).

The terminal session shows each candidate's text, context, suggested archetype and prior, and asks for the
three axes, the confidence and the tags; every answer is validated on the spot and asked again when wrong.
Each finished item is appended to the label file and fsync'd, so a crash loses nothing; a new session
resumes with the first candidate not yet in the file. At any prompt: `s` skips the item (it comes back in
the next session), `u` undoes the last labeled item (removes it from the file and asks it again), `q`
quits; Enter takes the prior (axes) or the suggested archetype (tags).
"""
from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Sequence, TextIO

from affectlab.affect.records import AXES, check_tags, validate_record
from affectlab.errors import InputError
from affectlab.io import append_jsonl, atomic_path, read_jsonl, write_jsonl_atomic

COMMANDS = {"s": "skip", "u": "undo", "q": "quit"}
CSV_COLUMNS = ("candidate_id", "source", "session_id", "file", "suggested", "prior_valence", "prior_intimacy",
               "prior_tension", "context", "text", "valence", "intimacy", "tension", "confidence", "tags")
ANSWERS = ("valence", "intimacy", "tension", "confidence")


class Command(Exception):
    def __init__(self, name: str):
        self.name = name


def read_candidates(path: str | Path) -> list[dict]:
    rows = []
    for lineno, row in read_jsonl(path):
        if not isinstance(row.get("id"), str) or not isinstance(row.get("text"), str):
            raise InputError(f"{path}:{lineno}: id: a candidate needs string id and text, got {row!r}")
        rows.append(row)
    return rows


def record_of(candidate: dict, answers: dict[str, Any]) -> dict:
    rec = {"text": candidate["text"], **answers, "source": candidate["source"], "candidate_id": candidate["id"]}
    rec.update({k: candidate[k] for k in ("session_id", "file") if candidate.get(k)})
    if candidate.get("context"):
        rec["context"] = candidate["context"]
    return rec


def labeled_ids(out: Path) -> list[str]:
    return [row.get("candidate_id", "") for _, row in read_jsonl(out)] if out.is_file() else []


def _drop_last_line(out: Path) -> dict | None:
    rows = [row for _, row in read_jsonl(out)] if out.is_file() else []
    if not rows:
        return None
    write_jsonl_atomic(rows[:-1], out)
    return rows[-1]


class Session:
    """One terminal labeling session over `candidates`, appending to `out`."""

    def __init__(self, candidates: Sequence[dict], out: str | Path, ask: Callable[[str], str] = input,
                 show: TextIO | None = None):
        import sys
        self.candidates, self.out, self.ask, self.show = list(candidates), Path(out), ask, show or sys.stdout
        self.by_id = {c["id"]: c for c in self.candidates}
        self.counts: Counter = Counter()

    def say(self, text: str = "") -> None:
        print(text, file=self.show, flush=True)

    def run(self) -> Counter:
        done = set(labeled_ids(self.out))
        queue = [c for c in self.candidates if c["id"] not in done]
        self.say(f"{len(done)} labeled in {self.out}, {len(queue)} to go. "
                 "Commands at any prompt: s = skip, u = undo last, q = quit.")
        while queue:
            candidate = queue[0]
            try:
                record = self.item(candidate, len(done) + 1, len(done) + len(queue))
            except Command as c:
                if c.name == "quit":
                    break
                if c.name == "skip":
                    queue.pop(0)
                    self.counts["skipped"] += 1
                    continue
                last = _drop_last_line(self.out)
                if last is None:
                    self.say("  nothing to undo")
                    continue
                done.discard(last.get("candidate_id"))
                self.counts["undone"] += 1
                self.say(f"  undone: {last['text'][:60]!r}")
                if last.get("candidate_id") in self.by_id:
                    queue.insert(0, self.by_id[last["candidate_id"]])
                continue
            append_jsonl([record], self.out)
            done.add(candidate["id"])
            queue.pop(0)
            self.counts["labeled"] += 1
        self.say(f"session: {self.counts['labeled']} labeled, {self.counts['skipped']} skipped, "
                 f"{self.counts['undone']} undone; {self.out} holds {len(done)}")
        return self.counts

    def item(self, c: dict, number: int, total: int) -> dict:
        self.say("")
        self.say(f"[{number}/{total}] {c['id']}  source {c['source']}  suggested {c.get('suggested') or '-'}")
        for turn in c.get("context") or []:
            self.say(f"    {turn['role']}: {turn['text']}")
        self.say(f"  > {c['text']}")
        prior = c.get("prior")
        if prior:
            self.say("  prior: " + "  ".join(f"{a} {prior[a]:+.2f}" for a in AXES))
        answers: dict[str, Any] = {}
        for field in ANSWERS:
            lo = 0 if field == "confidence" else -1
            default = prior.get(field) if prior and field in AXES else None
            answers[field] = self.number(field, lo, default)
        answers["tags"] = self.tags(c.get("suggested"))
        return validate_record(record_of(c, answers), f"{self.out}:{number}")

    def _answer(self, prompt: str) -> str:
        try:
            text = self.ask(prompt).strip()
        except EOFError:
            raise Command("quit") from None
        if text.lower() in COMMANDS:
            raise Command(COMMANDS[text.lower()])
        return text

    def number(self, field: str, lo: float, default: float | None) -> float:
        hint = f" (Enter = {default:+.2f})" if default is not None else ""
        while True:
            text = self._answer(f"  {field} [{lo:g}..1]{hint}: ")
            if not text and default is not None:
                return float(default)
            try:
                value = float(text)
            except ValueError:
                self.say(f"  ! {field}: must be a number in [{lo:g}, 1], got {text!r}")
                continue
            if lo <= value <= 1:
                return value
            self.say(f"  ! {field}: {value:g} is outside [{lo:g}, 1]")

    def tags(self, suggested: str | None) -> list[str]:
        hint = f" (Enter = {suggested})" if suggested else ""
        while True:
            text = self._answer(f"  tags, comma-separated{hint}: ")
            tags = [t.strip() for t in text.split(",") if t.strip()] if text else ([suggested] if suggested else [])
            try:
                return check_tags(tags, "tags")
            except InputError as e:
                self.say(f"  ! {str(e).removeprefix('tags: ')}")


# ------------------------------------------------------------------ spreadsheet round trip ----------------
def export_csv(candidates: Sequence[dict], path: str | Path) -> int:
    """One row per candidate with empty answer columns (valence, intimacy, tension, confidence, tags)."""
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as f:
        w = csv.DictWriter(f, CSV_COLUMNS)
        w.writeheader()
        for c in candidates:
            prior = c.get("prior") or {}
            w.writerow({"candidate_id": c["id"], "source": c["source"], "session_id": c.get("session_id", ""),
                        "file": c.get("file", ""), "suggested": c.get("suggested") or "",
                        **{f"prior_{a}": prior.get(a, "") for a in AXES},
                        "context": json.dumps(c.get("context") or [], ensure_ascii=False), "text": c["text"]})
    return len(candidates)


def import_csv(path: str | Path, out: str | Path) -> Counter:
    """Rows with answers -> validated records in `out` (replaced atomically); rows with no answer are left
    out and counted; a half-filled or bad row stops with `file:line: field: what is wrong`."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    counts: Counter = Counter()
    records = []
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise InputError(f"{path}:1: {missing[0]}: column missing (expected {', '.join(CSV_COLUMNS)})")
        for row in reader:
            where = f"{path}:{reader.line_num}"
            cells = sum(v is not None for k, v in row.items() if k is not None) + len(row.get(None) or [])
            if None in row or None in row.values():  # DictReader pads a short row with None, keeps extras under None
                raise InputError(f"{where}: {cells} cells, the header has {len(reader.fieldnames)} "
                                 "(a cell with a comma must be quoted)")
            given = [k for k in ANSWERS if row[k].strip()]
            if not given:
                counts["unlabeled"] += 1
                continue
            if len(given) < len(ANSWERS):
                absent = next(k for k in ANSWERS if k not in given)
                raise InputError(f"{where}: {absent}: missing (a labeled row needs {', '.join(ANSWERS)})")
            answers: dict[str, Any] = {}
            for k in ANSWERS:
                try:
                    answers[k] = float(row[k])
                except ValueError:
                    raise InputError(f"{where}: {k}: must be a number, got {row[k]!r}") from None
            tags = [t.strip() for t in row["tags"].split(",") if t.strip()] or ([row["suggested"]] if row["suggested"] else [])
            try:
                context = json.loads(row["context"] or "[]")
            except json.JSONDecodeError:
                raise InputError(f"{where}: context: not valid JSON, got {row['context']!r}") from None
            candidate = {"id": row["candidate_id"], "text": row["text"], "source": row["source"],
                         "session_id": row["session_id"], "file": row["file"], "context": context}
            records.append(validate_record(record_of(candidate, {**answers, "tags": tags}), where))
            counts["labeled"] += 1
    write_jsonl_atomic(records, out)
    return counts


