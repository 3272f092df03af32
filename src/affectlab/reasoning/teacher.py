"""The CoT teacher: an LLM (local folder, hub id, models/base, or an ollama server) asked why each text
expresses its gold label. Replies are appended to a JSONL checkpoint batch by batch, keyed by a fingerprint
of the teacher settings and the rows, so a killed run (or a server that went down) resumes where it was."""
from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

import pandas as pd

from affectlab.io import append_jsonl, fingerprint, read_jsonl
from affectlab.progress import progress
from affectlab.reasoning.cot import teacher_prompt, teacher_reason
from affectlab.reasoning.settings import ReasonerCotSettings

log = logging.getLogger(__name__)


def make_teacher(p: ReasonerCotSettings):
    """A `(prompts, seed) -> replies` backend (affectlab.sentiment.backends) for `p.teacher.source`."""
    from affectlab.sentiment.backends import OllamaBackend, TransformersBackend

    t = p.teacher
    if t.source.startswith("ollama:"):
        return OllamaBackend(t.ollama_url, t.source.removeprefix("ollama:"), t.decoding, t.timeout)
    from affectlab.models import load_base, load_causal_lm
    model, tokenizer = load_base(t.source) if Path(t.source, "config.json").is_file() else load_causal_lm(t.source, t.revision)
    return TransformersBackend(model.eval(), tokenizer, t.decoding, t.batch_size, t.source)


def teacher_targets(table: pd.DataFrame, fallback: list[str], backend, p: ReasonerCotSettings,
                    labels: tuple[str, ...]) -> tuple[list[str], list[str], Counter]:
    """(targets, origin per row: teacher | template, fallback reasons counted). Only the first `max_rows`
    rows are asked (null: all); the others keep their template target, counted as `not_asked`."""
    t = p.teacher
    key = fingerprint({"teacher": t.model_dump(mode="json"), "seed": p.seed, "backend": backend.name,
                       "rows": list(zip(table["id"], table["label"]))})
    ckpt = Path(t.checkpoint)
    done = {}
    if ckpt.is_file():
        done = {r["id"]: r["reply"] for _, r in read_jsonl(ckpt, allow_truncated_tail=True) if r.get("key") == key}
        log.info("teacher: %d replies resumed from %s", len(done), ckpt)
    asked = len(table) if t.max_rows is None else min(t.max_rows, len(table))
    todo = [i for i, rid in enumerate(table["id"][:asked]) if rid not in done]
    for start in progress(range(0, len(todo), t.batch_size), "teacher", unit="batch"):
        rows = table.iloc[todo[start:start + t.batch_size]]
        # seeded by the batch's first row, not its place in `todo`: a resumed run samples as an uninterrupted one
        replies = backend([teacher_prompt(x, y) for x, y in zip(rows["text"], rows["label"])], p.seed + todo[start])
        append_jsonl([{"key": key, "id": rid, "reply": r} for rid, r in zip(rows["id"], replies)], ckpt)
        done.update(zip(rows["id"], replies))
    targets, origin, reasons = [], [], Counter()
    for (rid, text, label), backup in zip(table[["id", "text", "label"]].itertuples(index=False), fallback):
        reply = done[rid].strip() if rid in done else None
        reason = "not_asked" if reply is None else teacher_reason(reply, text, label, labels, t)
        if reason:
            reasons[reason] += 1
        targets.append(backup if reason else reply)
        origin.append("template" if reason else "teacher")
    return targets, origin, reasons
