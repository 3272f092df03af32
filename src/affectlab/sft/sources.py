"""Read ED-v2, ESConv and GoEmotions in their hub formats into canonical examples.

One code path for both profiles: a source is a hub id or a local folder in the hub layout, opened with
`hub_data.load_hub_dataset`. A canonical example is the chat that goes into the model (`prompt` messages and
an optional assistant `target`) plus labels kept OUTSIDE the chat: no label or metadata field (emotion,
situation, behavior, strategy, problem_type, ...) is ever written into a message.
"""
from __future__ import annotations

import ast
import dataclasses
import json
import numbers
from collections import Counter
from typing import Any, Iterator, Optional

from affectlab.errors import InputError
from affectlab.hub_data import load_hub_dataset
from affectlab.sft.settings import DatasetSource

SPLITS = ("train", "validation", "test")
SOURCES = ("ed_v2", "esconv", "go_emotions")
GO_EMOTIONS = ("admiration", "amusement", "anger", "annoyance", "approval", "caring", "confusion", "curiosity",
               "desire", "disappointment", "disapproval", "disgust", "embarrassment", "excitement", "fear",
               "gratitude", "grief", "joy", "love", "nervousness", "optimism", "pride", "realization", "relief",
               "remorse", "sadness", "surprise", "neutral")
ESCONV_SPEAKERS = {"usr": "user", "seeker": "user", "sys": "assistant", "supporter": "assistant"}
# Optional (sft.data.map_emotions) ED-v2 and ESConv emotion names -> GoEmotions labels. None = no faithful
# counterpart among the 28 labels: the example keeps no emotion label rather than a wrong one.
EMOTION_MAP: dict[str, Optional[str]] = {
    "afraid": "fear", "angry": "anger", "annoyed": "annoyance", "anticipating": "excitement",
    "anxious": "nervousness", "apprehensive": "nervousness", "ashamed": "embarrassment", "caring": "caring",
    "confident": "optimism", "content": "joy", "devastated": "grief", "disappointed": "disappointment",
    "disgusted": "disgust", "embarrassed": "embarrassment", "excited": "excitement", "faithful": "love",
    "furious": "anger", "grateful": "gratitude", "guilty": "remorse", "hopeful": "optimism",
    "impressed": "admiration", "jealous": None, "joyful": "joy", "lonely": "sadness", "nostalgic": None,
    "prepared": "optimism", "proud": "pride", "sad": "sadness", "sentimental": "love", "surprised": "surprise",
    "terrified": "fear", "trusting": "approval",
    # ESConv emotion_type
    "anxiety": "nervousness", "depression": "sadness", "sadness": "sadness", "anger": "anger", "fear": "fear",
    "shame": "embarrassment", "disgust": "disgust", "nervousness": "nervousness", "pain": "sadness",
    "jealousy": None, "guilt": "remorse",
}


@dataclasses.dataclass
class Example:
    """A chat to train on; labels are names (vocabularies map them to ids later)."""
    id: str
    source: str
    prompt: list[dict[str, str]]        # messages before the target, roles user/assistant
    target: Optional[str]               # assistant reply to learn (None: no LM target)
    emotion: Optional[str] = None       # GoEmotions label name supervising the latest user turn
    strategy: Optional[str] = None      # ESConv strategy of the target supporter turn


def load_split_rows(src: DatasetSource, name: str) -> dict[str, Any]:
    """{split: datasets.Dataset} for train/validation/test of one source."""
    try:
        ds = load_hub_dataset(src.path, src.config, revision=src.revision)
    except InputError as e:
        raise InputError(f"sft.data.{name}: {e}") from None
    missing = [s for s in SPLITS if s not in ds]
    if missing:
        raise InputError(f"{src.path}: no {', '.join(missing)} split (has {', '.join(ds)}); expected "
                         f"train/validation/test (dev.csv counts as validation)")
    return {s: ds[s] for s in SPLITS}


def read_source(name: str, rows, split: str, where: str, drops: Counter, map_emotions: bool) -> Iterator[Example]:
    reader = {"ed_v2": _ed_v2, "esconv": _esconv, "go_emotions": _go_emotions}[name]
    return reader(rows, split, where, drops, map_emotions)


def _ed_text(value: Any) -> str:
    return "" if value is None else str(value).replace("_comma_", ",").strip()


def parse_chat_history(raw: Any) -> list[str]:
    """ED-v2 `chat_history` is a string holding a Python-literal list; a string that is not one is a single
    utterance (the hub data has a few)."""
    if isinstance(raw, list):
        items = raw
    else:
        try:
            items = ast.literal_eval(raw) if isinstance(raw, str) else []
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            items = [raw]
        if not isinstance(items, (list, tuple)):
            items = [raw]
    return [t for t in (_ed_text(u) for u in items) if t]


def _ed_v2(rows, split: str, where: str, drops: Counter, map_emotions: bool) -> Iterator[Example]:
    for i, row in enumerate(rows):
        history = parse_chat_history(row.get("chat_history"))
        target = _ed_text(row.get("sys_response"))
        if not history:
            drops["ed_v2.empty_history"] += 1
            continue
        if not target:
            drops["ed_v2.empty_target"] += 1
            continue
        # the last utterance is the speaker's (user); roles alternate backwards from it
        n = len(history)
        prompt = [{"role": "user" if (n - 1 - j) % 2 == 0 else "assistant", "content": u} for j, u in enumerate(history)]
        emotion = EMOTION_MAP.get(str(row.get("emotion") or "").strip().lower()) if map_emotions else None
        yield Example(f"ed_v2:{split}:{i}", "ed_v2", _merge_roles(prompt), target, emotion=emotion)


def _esconv(rows, split: str, where: str, drops: Counter, map_emotions: bool) -> Iterator[Example]:
    for i, row in enumerate(rows):
        record = _esconv_record(row, f"{where} {split} row {i + 1}")
        dialog = record.get("dialog")
        if not isinstance(dialog, list):
            raise InputError(f"{where} {split} row {i + 1}: 'dialog' must be a list of turns, got "
                             f"{type(dialog).__name__}")
        turns = [_esconv_turn(t, f"{where} {split} row {i + 1} turn {k + 1}") for k, t in enumerate(dialog)]
        if not any(role == "assistant" for role, _, _ in turns):
            drops["esconv.no_supporter_turn"] += 1
            continue
        emotion = EMOTION_MAP.get(str(record.get("emotion_type") or "").strip().lower()) if map_emotions else None
        for k, (role, text, strategy) in enumerate(turns):
            if role != "assistant":
                continue
            prior = [{"role": r, "content": t} for r, t, _ in turns[:k] if t]
            if not any(m["role"] == "user" for m in prior):
                drops["esconv.no_prompt"] += 1
                continue
            if not text:
                drops["esconv.empty_target"] += 1
                continue
            if strategy is None:
                drops["kept_without_strategy.esconv"] += 1  # kept for the LM loss, no strategy label
            yield Example(f"esconv:{split}:{i}:{k}", "esconv", _merge_roles(prior), text, emotion=emotion,
                          strategy=strategy)


def _esconv_record(row: dict, where: str) -> dict:
    raw = row.get("text")
    if isinstance(raw, dict):
        return raw
    try:
        record = json.loads(raw)
    except (TypeError, json.JSONDecodeError) as e:
        raise InputError(f"{where}: 'text' is not valid JSON ({getattr(e, 'msg', e)}); expected a JSON "
                         f"object with 'dialog'") from None
    if not isinstance(record, dict):
        raise InputError(f"{where}: 'text' must hold a JSON object, got {type(record).__name__}")
    return record


def _esconv_turn(turn: Any, where: str) -> tuple[str, str, Optional[str]]:
    """(role, text, strategy) from the hub release (speaker usr/sys, text, strategy) or the original one
    (speaker seeker/supporter, content, annotation.strategy)."""
    if not isinstance(turn, dict):
        raise InputError(f"{where}: a turn must be an object, got {type(turn).__name__}")
    speaker = str(turn.get("speaker", "")).strip().lower()
    if speaker not in ESCONV_SPEAKERS:
        raise InputError(f"{where}: speaker {turn.get('speaker')!r} is not one of usr, sys, seeker, supporter")
    text = turn.get("text", turn.get("content")) or ""
    strategy = turn.get("strategy")
    if strategy is None and isinstance(turn.get("annotation"), dict):
        strategy = turn["annotation"].get("strategy")
    return ESCONV_SPEAKERS[speaker], str(text).strip(), (str(strategy).strip() or None) if strategy else None


def _go_emotions(rows, split: str, where: str, drops: Counter, map_emotions: bool) -> Iterator[Example]:
    for i, row in enumerate(rows):
        labels = list(row.get("labels") or [])
        for label in labels:
            if isinstance(label, bool) or not isinstance(label, numbers.Integral) or not 0 <= label < len(GO_EMOTIONS):
                raise InputError(f"{where} {split} row {i + 1}: label id {label!r} out of range "
                                 f"(expected an int in 0..{len(GO_EMOTIONS) - 1}, the simplified config)")
        text = str(row.get("text") or "").strip()
        if len(labels) != 1:
            drops["go_emotions.multi_label" if labels else "go_emotions.no_label"] += 1
            continue
        if not text:
            drops["go_emotions.empty_text"] += 1
            continue
        yield Example(f"go_emotions:{split}:{i}", "go_emotions", [{"role": "user", "content": text}], None,
                      emotion=GO_EMOTIONS[int(labels[0])])


def _merge_roles(messages: list[dict[str, str]]) -> list[dict[str, str]]:
    """Join consecutive turns of one speaker (ESConv supporters often send two): templates such as
    Gemma's require alternating roles."""
    merged: list[dict[str, str]] = []
    for m in messages:
        if merged and merged[-1]["role"] == m["role"]:
            merged[-1] = {"role": m["role"], "content": merged[-1]["content"] + "\n" + m["content"]}
        else:
            merged.append(dict(m))
    return merged
