"""Chain-of-thought targets: a short reasoning that cites words of the text, then `Emotion: <label>`.

`template` (deterministic): the words of the text that the TRAIN split ties most to the gold label, by
log-odds with an informative Dirichlet prior (Monroe, Colaresi & Quinn 2008, z-scored), plus whether
family A's emotion scorer agrees. `teacher`: an LLM is asked why the text expresses its gold label; a chain
is kept only if it passes every check (`teacher_reason`), else the template target is used and the
reason counted. Test texts never get a target, and cue statistics come from train only.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from typing import Optional, Sequence

import numpy as np
import pandas as pd

from affectlab.reasoning.labels import answer_line, label_names, parse_label, split_reply, to_ekman
from affectlab.reasoning.settings import ReasonerCotSettings, ReasonerTeacherSettings

_WORD = re.compile(r"[a-z][a-z']+")
QUOTED = re.compile(r"[\"\u201c]([^\"\u201d]{1,80})[\"\u201d]")  # a "quoted span" of a reasoning
_REFUSAL = re.compile(r"\b(i'm sorry|i am sorry|i cannot|i can't|as an ai|language model|i'm not able)\b", re.I)
TEACHER_REASONS = ("no_answer_line", "wrong_label", "other_label_answer", "no_quote", "quote_not_in_text",
                   "too_short", "too_long", "refusal_or_filler", "not_asked")


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def content_words(text: str) -> list[str]:
    """Words that can be cues: function words ("the", "of") are frequent in every label and explain nothing."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS
    return [w for w in words(text) if w not in ENGLISH_STOP_WORDS and w.replace("'", "") not in ENGLISH_STOP_WORDS]


class CueLexicon:
    """Per-label z-scored log-odds of each word (train split only)."""

    def __init__(self, texts: Sequence[str], labels: Sequence[str], prior: float, min_count: int):
        counts: dict[str, Counter] = {}
        for text, label in zip(texts, labels):
            counts.setdefault(label, Counter()).update(words(text))
        total = sum(counts.values(), Counter())
        vocab = [w for w, n in total.items() if n >= min_count]
        a0 = prior * len(vocab)
        self.z: dict[str, dict[str, float]] = {}
        for label, c in counts.items():
            n_k = sum(c.values())
            n_rest = sum(total.values()) - n_k
            scores = {}
            for w in vocab:
                y_k, y_r = c[w], total[w] - c[w]
                delta = (math.log((y_k + prior) / (n_k + a0 - y_k - prior))
                         - math.log((y_r + prior) / (n_rest + a0 - y_r - prior)))
                scores[w] = delta / math.sqrt(1 / (y_k + prior) + 1 / (y_r + prior))
            self.z[label] = scores

    def cues(self, text: str, label: str, k: int, min_z: float) -> list[str]:
        """Up to `k` distinct words of `text` most tied to `label` (z >= min_z), strongest first."""
        scores = self.z.get(label, {})
        found = {w: scores[w] for w in content_words(text) if scores.get(w, -np.inf) >= min_z}
        return sorted(found, key=lambda w: (-found[w], w))[:k]


def template_target(text: str, label: str, cues: list[str], scorer_label: Optional[str]) -> str:
    """Cites only words of `text`; names no label but the gold one; ends with the answer line."""
    if cues:
        quoted = " and ".join(f'"{w}"' for w in cues)
        first = f"The words {quoted} mark {label}."
    else:
        first = f"No word is marked, so it reads as {label}." if label == "neutral" else \
            f"No single word is marked, but it reads as {label}."
    agree = "The scorer agrees." if scorer_label == to_ekman(label) else ""
    return " ".join(x for x in (first, agree) if x) + "\n" + answer_line(label)


def template_targets(table: pd.DataFrame, lexicon: CueLexicon, scorer_labels: Sequence[str],
                     p: ReasonerCotSettings) -> list[str]:
    return [template_target(t, y, lexicon.cues(t, y, p.cue_words, p.min_log_odds), s)
            for t, y, s in zip(table["text"], table["label"], scorer_labels)]


def teacher_prompt(text: str, label: str) -> str:
    return (f'Text: "{text}"\nThe emotion of this text is {label}. In one or two sentences, quote the words of '
            f'the text that show it (in double quotes). Then write the line: {answer_line(label)}')


def teacher_reason(reply: str, text: str, label: str, labels: tuple[str, ...],
                   t: ReasonerTeacherSettings) -> Optional[str]:
    """Why a teacher chain is rejected (None: kept)."""
    lines = [line.strip() for line in (reply or "").strip().splitlines() if line.strip()]
    if not lines or parse_label(lines[-1], labels) is None:
        return "no_answer_line"
    if parse_label(lines[-1], labels) != label:
        return "wrong_label"
    answers = {parse_label(line, labels) for line in lines} - {None}
    if answers != {label}:
        return "other_label_answer"
    reasoning = split_reply(reply)
    if _REFUSAL.search(reasoning):
        return "refusal_or_filler"
    quotes = QUOTED.findall(reasoning)
    if not quotes:
        return "no_quote"
    if not all(q.strip().lower() in text.lower() for q in quotes):
        return "quote_not_in_text"
    n = len(reasoning.split())
    if n < t.min_words:
        return "too_short"
    if n > t.max_words:
        return "too_long"
    return None


def cot_metrics(table: pd.DataFrame, fallbacks: Counter, label_set: str) -> dict:
    m = {f"rows.{s}": int((table["split"] == s).sum()) for s in ("train", "validation")}
    m["targets.template"] = int((table["origin"] == "template").sum())
    m["targets.teacher"] = int((table["origin"] == "teacher").sum())
    for reason in TEACHER_REASONS:
        m[f"fallback.{reason}"] = fallbacks.get(reason, 0)
    reasoning = table["target"].map(split_reply)
    m["targets.with_quote"] = round(float(reasoning.str.contains('"').mean()), 4) if len(table) else 0.0
    m["targets.words_mean"] = round(float(reasoning.map(lambda r: len(r.split())).mean()), 2) if len(table) else 0.0
    labels = label_names(label_set)
    m["targets.answer_is_gold"] = round(float(np.mean([parse_label(t, labels) == y for t, y in
                                                       zip(table["target"], table["label"])])), 4)
    return m
