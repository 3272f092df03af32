"""Assistant turns of a conversation and their split into the `<think>` block and the final answer."""
from __future__ import annotations

import dataclasses
from typing import Any, Sequence

OPEN, CLOSE = "<think>", "</think>"


@dataclasses.dataclass(frozen=True)
class ThinkSplit:
    think: str
    response: str
    has_think: bool
    unclosed_think: bool


def split_think(content: str | None) -> ThinkSplit:
    """`<think>T</think>A` -> (T, A). No tags: all answer. `<think>` never closed (generation cut off):
    all think, empty answer. `</think>` without an opening tag (chat templates that put `<think>` in the
    prompt): what precedes it is the think block. Text before `<think>` belongs to the answer."""
    text = content or ""
    start = text.find(OPEN)
    if start < 0:
        end = text.find(CLOSE)
        if end < 0:
            return ThinkSplit("", text.strip(), False, False)
        return ThinkSplit(text[:end].strip(), text[end + len(CLOSE):].strip(), True, False)
    end = text.find(CLOSE, start + len(OPEN))
    if end < 0:
        return ThinkSplit(text[start + len(OPEN):].strip(), text[:start].strip(), True, True)
    response = (text[:start] + text[end + len(CLOSE):]).strip()
    return ThinkSplit(text[start + len(OPEN):end].strip(), response, True, False)


def assistant_turns(messages: Sequence[dict[str, Any]] | None, which: str) -> list[tuple[int, str]]:
    """(assistant-turn ordinal, content) for the turns selected by `which`: first | last | all."""
    turns = [(i, m.get("content") or "") for i, m in
             enumerate(m for m in (messages or []) if m and m.get("role") == "assistant")]
    if not turns or which == "all":
        return turns
    return [turns[0]] if which == "first" else [turns[-1]]
