"""The task's label sets (GoEmotions' 28 labels or their Ekman grouping) and the answer parser.

The Ekman grouping is the one published with GoEmotions (Demszky et al. 2020, Table 2 / the repository's
ekman_mapping.json), with neutral kept as its own class.
"""
from __future__ import annotations

import re
from typing import Optional

from affectlab.sft.sources import GO_EMOTIONS

EKMAN_GROUPS = {
    "anger": ("anger", "annoyance", "disapproval"),
    "disgust": ("disgust",),
    "fear": ("fear", "nervousness"),
    "joy": ("joy", "amusement", "approval", "excitement", "gratitude", "love", "optimism", "relief", "pride",
            "admiration", "desire", "caring"),
    "sadness": ("sadness", "disappointment", "embarrassment", "grief", "remorse"),
    "surprise": ("surprise", "realization", "confusion", "curiosity"),
    "neutral": ("neutral",),
}
TO_EKMAN = {label: group for group, members in EKMAN_GROUPS.items() for label in members}
EKMAN = tuple(sorted(EKMAN_GROUPS))  # same order as affectlab.emotion.EMOTIONS (family A's 7 classes)
NEUTRAL = "neutral"
ANSWER_PREFIX = "Emotion:"
_ANSWER = re.compile(r"emotion\s*:\s*\**\s*([a-z]+)", re.IGNORECASE)


def label_names(label_set: str) -> tuple[str, ...]:
    return EKMAN if label_set == "ekman" else GO_EMOTIONS


def to_task(label: str, label_set: str) -> str:
    """A GoEmotions label in the task's label set (identity for go_emotions)."""
    return TO_EKMAN[label] if label_set == "ekman" else label


def to_ekman(label: str) -> str:
    """Any task label (Ekman group or one of the 28) as its Ekman group."""
    return label if label in EKMAN_GROUPS else TO_EKMAN[label]


def answer_line(label: str) -> str:
    return f"{ANSWER_PREFIX} {label}"


def parse_label(reply: str, labels: tuple[str, ...]) -> Optional[str]:
    """The label of the last `Emotion: <label>` in a reply, if it is one of `labels`; None is a parse
    failure (no answer line, or a word outside the label set)."""
    found = _ANSWER.findall(reply or "")
    if not found:
        return None
    word = found[-1].lower()
    return word if word in labels else None


def system_prompt(labels: tuple[str, ...]) -> str:
    # short on purpose: every training step and every generated reply pays for these tokens on a CPU
    return f"Label the emotion of the text: {', '.join(labels)}. Quote its words, then answer '{ANSWER_PREFIX} <label>'."


def prompt_messages(text: str, labels: tuple[str, ...]) -> list[dict[str, str]]:
    """The one prompt of the family: training, evaluation, the zero-shot baseline, the CLI and the server."""
    return [{"role": "system", "content": system_prompt(labels)}, {"role": "user", "content": text}]


def stated_label(reasoning: str, labels: tuple[str, ...]) -> Optional[str]:
    """The last label named in the reasoning body (before the answer line), None if it names none."""
    body = _ANSWER.sub(" ", reasoning or "").lower()
    found = [(m.start(), name) for name in labels for m in re.finditer(rf"\b{re.escape(name)}\b", body)]
    return max(found)[1] if found else None


COT_MODES = ("none", "rationale_first", "label_first")


def compose_target(reasoning: str, label: str, mode: str) -> str:
    """The training target of `reasoner.cot.mode`: the answer line alone (`none`), the reasoning then the answer
    line (`rationale_first`), or the answer line then the reasoning (`label_first`)."""
    if mode == "none" or not reasoning.strip():
        return answer_line(label)
    if mode == "label_first":
        return answer_line(label) + "\n" + reasoning.strip()
    return reasoning.strip() + "\n" + answer_line(label)


def split_reply(reply: str) -> str:
    """The reasoning part of a reply: everything before its last answer line, or, when nothing precedes it
    (a `label_first` reply), everything after that line."""
    reply = reply or ""
    matches = list(_ANSWER.finditer(reply))
    if not matches:
        return reply.strip()
    before = reply[:matches[-1].start()].strip()
    end = reply.find("\n", matches[-1].end())
    return before or (reply[end:].strip() if end >= 0 else "")
