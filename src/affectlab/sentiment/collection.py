"""Generate the positive/negative sentence set round by round, with a resumable checkpoint.

Every round prompts `batch_size` (label, sub-emotion, topic) combinations, appends the raw replies to a
checkpoint (one fsync'd append per round) and runs them through the filters. A re-run with the same
params replays the checkpointed rounds through the filters (a round cut by a kill is dropped and
generated again) and continues with the next round: each round's seed derives from (seed, round), so
a resumed run writes exactly what an uninterrupted one would.
"""
from __future__ import annotations

import itertools
import logging
import random
from collections import Counter
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from affectlab.distributed import is_main_process, map_batches, share, world_size
from affectlab.errors import ConfigError, InputError
from affectlab.io import append_jsonl, fingerprint, read_jsonl
from affectlab.progress import progress, timed
from affectlab.sentiment.backends import Backend
from affectlab.lexical import Vader
from affectlab.sentiment.filters import REASONS, DuplicateIndex, clean_reply, distinct_n, shape_reason, vader_agrees
from affectlab.sentiment.settings import SENTIMENT_LABELS, SentimentSettings

log = logging.getLogger(__name__)
CHECKPOINT_DIR = Path(".cache/sentiment")


def read_topics(path: str | Path) -> list[str]:
    """One topic per line; blank lines and `#` comments are skipped, a repeated topic is an error."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: topic list not found (sentiment.topics_file)")
    topics: dict[str, int] = {}
    for lineno, line in enumerate(path.read_text().splitlines(), start=1):
        topic = line.strip()
        if not topic or topic.startswith("#"):
            continue
        if topic in topics:
            raise InputError(f"{path}:{lineno}: topic {topic!r} repeats line {topics[topic]}")
        topics[topic] = lineno
    if not topics:
        raise InputError(f"{path}: no topics (expected one topic per line)")
    return list(topics)


def checkpoint_path(p: SentimentSettings, topics: list[str], model_name: str, folder: Path = CHECKPOINT_DIR) -> Path:
    """A checkpoint per configuration: a params change starts a fresh one instead of mixing runs.
    max_generations and the ollama timeout are left out so raising them resumes. Under N > 1 processes the
    rounds are drawn otherwise (generate_round), so N is part of the key."""
    key = p.model_dump(mode="json", exclude={"max_generations": True, "ollama": {"timeout"}})
    processes = [world_size()] if world_size() > 1 else []  # one process keeps the key it always had
    return folder / f"{fingerprint([key, topics, model_name, *processes])}.jsonl"


def round_seed(seed: int, round_no: int) -> int:
    return int(np.random.SeedSequence([seed, round_no]).generate_state(1)[0])


def generate_round(backend: Backend, prompts: list[str], seed: int) -> list[tuple[int, str]]:
    """(seed, reply) per prompt, in prompt order. One process samples the whole round with the round's seed.
    Under `torchrun --nproc_per_node N` / `accelerate launch`, process k samples a contiguous share of the
    prompts, share 0 with the round's seed and share k with round_seed(seed, k), and every process gets the
    whole round back (each needs the accepted counts to plan the next one). Sampled draws depend on the batch
    they are drawn in (one random stream per batch, a nucleus width per batch), so N processes accept a
    different, equally distributed set than one; the seed each reply was drawn with is kept with it."""
    n = world_size()
    ranges = [share(len(prompts), k, n) for k in range(n)]
    shares = [(seed if k == 0 else round_seed(seed, k), prompts[r.start:r.stop]) for k, r in enumerate(ranges)]
    replies = map_batches(lambda s: backend(s[1], s[0]) if s[1] else [], shares, desc="round shares")
    return [(s, reply) for (s, _), part in zip(shares, replies) for reply in part]


class Collector:
    """Filter state: accepted rows per label and counted rejections, fed one round at a time."""

    def __init__(self, p: SentimentSettings, model_name: str, embed=None) -> None:
        self.p, self.model_name = p, model_name
        self.vader = Vader()
        self.dups = DuplicateIndex(p.filters, embed)
        self.accepted: dict[str, list[dict]] = {label: [] for label in SENTIMENT_LABELS}
        self.rejected: Counter = Counter()
        self.surplus = self.generated = self.vader_checked = 0

    def deficit(self) -> dict[str, int]:
        return {label: self.p.per_class - len(self.accepted[label]) for label in SENTIMENT_LABELS}

    def done(self) -> bool:
        return not any(d > 0 for d in self.deficit().values())

    def consume(self, raw_rows: list[dict]) -> None:
        self.generated += len(raw_rows)
        texts = [clean_reply(r["reply"]) for r in raw_rows]
        verdicts: list[Any] = [shape_reason(text, self.p.filters) for text in texts]
        scores = [self.vader.compound(t) if v is None else None for t, v in zip(texts, verdicts)]
        for i, row in enumerate(raw_rows):
            if verdicts[i] is None:
                self.vader_checked += 1
                if not vader_agrees(row["label"], scores[i], self.p.filters.vader_threshold):
                    verdicts[i] = "vader_disagrees"
        candidates = [i for i, v in enumerate(verdicts) if v is None]
        keys = dict(zip(candidates, self.dups.prepare([texts[i] for i in candidates])))
        for i, row in enumerate(raw_rows):
            reason = verdicts[i] or self.dups.reason(keys[i])
            if reason:
                self.rejected[reason] += 1
                continue
            bucket = self.accepted[row["label"]]
            if len(bucket) >= self.p.per_class:
                self.surplus += 1
                continue
            self.dups.add(keys[i])
            bucket.append({"id": f"{row['label'][:3]}-{len(bucket):04d}", "text": texts[i], "label": row["label"],
                           "sub_emotion": row["sub_emotion"], "topic": row["topic"], "model": self.model_name,
                           "seed": row["seed"], "vader": round(scores[i], 4)})

    def rows(self) -> list[dict]:
        return [row for label in SENTIMENT_LABELS for row in self.accepted[label]]

    def metrics(self) -> dict[str, Any]:
        rows = self.rows()
        texts = [r["text"] for r in rows]
        m = {"per_class": self.p.per_class, "accepted": len(rows), "generated": self.generated,
             "acceptance_rate": round(len(rows) / self.generated, 4) if self.generated else 0.0,
             "rejected": sum(self.rejected.values()), "surplus": self.surplus,
             # VADER agreement: of the replies that reached the gate, the share whose sign matched the label
             "vader_agreement": round(1 - self.rejected["vader_disagrees"] / self.vader_checked, 4)
             if self.vader_checked else 0.0,
             "distinct_1": round(distinct_n(texts, 1), 4), "distinct_2": round(distinct_n(texts, 2), 4),
             "mean_words": round(float(np.mean([len(t.split()) for t in texts])), 2) if texts else 0.0}
        m.update({f"rejected.{reason}": self.rejected[reason] for reason in REASONS})
        for label in SENTIMENT_LABELS:
            m[f"accepted.{label}"] = len(self.accepted[label])
            scores = [r["vader"] for r in self.accepted[label]]
            m[f"vader_mean.{label}"] = round(float(np.mean(scores)), 4) if scores else 0.0
            m[f"sub_emotions.{label}"] = len({r["sub_emotion"] for r in self.accepted[label]})
        m["topics_used"] = len({r["topic"] for r in rows})
        return m


class Planner:
    """Which (label, sub-emotion, topic) each slot of a round prompts: slots are shared between the
    labels in proportion to what each still needs, and each label walks its own seeded shuffle of
    sub-emotion x topic, so texts spread over all sub-emotions and topics."""

    def __init__(self, p: SentimentSettings, topics: list[str]) -> None:
        rng = random.Random(p.seed)
        self.p = p
        self.combos = {}
        for label in SENTIMENT_LABELS:
            combos = list(itertools.product(p.sub_emotions[label], topics))
            rng.shuffle(combos)
            self.combos[label] = combos
        self.issued = {label: 0 for label in SENTIMENT_LABELS}

    def plan(self, deficit: Mapping[str, int]) -> list[tuple[str, str, str]]:
        needy = {label: d for label, d in deficit.items() if d > 0}
        total = sum(needy.values())
        counts = {label: max(1, self.p.batch_size * d // total) for label, d in needy.items()}
        largest = max(needy, key=lambda label: (needy[label], label))
        counts[largest] += self.p.batch_size - sum(counts.values())
        slots = []
        for label in SENTIMENT_LABELS:
            for _ in range(max(counts.get(label, 0), 0)):
                combos = self.combos[label]
                emotion, topic = combos[self.issued[label] % len(combos)]
                self.issued[label] += 1
                slots.append((label, emotion, topic))
        return slots

    def prompt(self, emotion: str, topic: str) -> str:
        return self.p.prompt.replace("{emotion}", emotion).replace("{topic}", topic)


def load_rounds(checkpoint: Path) -> list[list[dict]]:
    """Complete rounds of a checkpoint, in order. A round cut short by a kill (missing rows or a
    truncated last line) is dropped with a warning: it is generated again."""
    if not checkpoint.is_file():
        return []
    rounds: dict[int, list[dict]] = {}
    for lineno, row in read_jsonl(checkpoint, allow_truncated_tail=True):
        try:
            rounds.setdefault(int(row["round"]), []).append(row)
            row["label"], row["reply"], row["of"], row["slot"]  # noqa: B018 (presence check)
        except (KeyError, TypeError, ValueError):
            raise InputError(f"{checkpoint}:{lineno}: not a checkpoint row (needs round, of, label, reply); "
                             f"delete the file to start over") from None
    complete = []
    for r in range(len(rounds)):
        rows = rounds.get(r)
        if rows is None or len(rows) > rows[0]["of"]:
            raise InputError(f"{checkpoint}: round {r} is missing or repeated; delete the file to start over")
        if len(rows) < rows[0]["of"]:
            if r != len(rounds) - 1:
                raise InputError(f"{checkpoint}: round {r} is incomplete but later rounds exist; delete the file")
            log.warning("%s: dropping incomplete round %d (%d of %d rows, interrupted write); generating it again",
                        checkpoint, r, len(rows), rows[0]["of"])
            break
        complete.append(sorted(rows, key=lambda row: row["slot"]))
    return complete


def generate_sentences(p: SentimentSettings, topics: list[str], backend: Backend, checkpoint: Path,
                       embed=None) -> tuple[list[dict], dict[str, Any]]:
    """(accepted rows, metrics). `embed` overrides the MiniLM encoder (tests)."""
    collector = Collector(p, backend.name, embed)
    planner = Planner(p, topics)
    done_rounds = load_rounds(checkpoint)
    for r, raw_rows in enumerate(done_rounds):
        slots = planner.plan(collector.deficit())
        if [(row["label"], row["sub_emotion"], row["topic"]) for row in raw_rows] != slots:
            raise InputError(f"{checkpoint}: round {r} does not match the current plan (was it written by "
                             f"other code?); delete the file to start over")
        collector.consume(raw_rows)
    if done_rounds:
        log.info("resumed %d rounds (%d generations) from %s", len(done_rounds), collector.generated, checkpoint)
    r = len(done_rounds)
    with timed(f"generate_sentiment ({backend.name})", unit="generations") as stats:
        for _ in progress(iter(collector.done, True), desc="rounds", unit="rounds"):
            if collector.generated >= p.max_generations:
                d = collector.deficit()
                raise ConfigError(
                    f"params.yaml: sentiment.max_generations: {collector.generated} generations gave only "
                    + ", ".join(f"{p.per_class - d[label]}/{p.per_class} {label}" for label in SENTIMENT_LABELS)
                    + f" accepted (rejected: {dict(collector.rejected)}); raise it or loosen sentiment.filters "
                    "(a re-run resumes from the checkpoint)")
            slots = planner.plan(collector.deficit())
            drawn = generate_round(backend, [planner.prompt(emotion, topic) for _, emotion, topic in slots],
                                   round_seed(p.seed, r))
            raw_rows = [{"round": r, "slot": i, "of": len(slots), "label": label, "sub_emotion": emotion,
                         "topic": topic, "seed": seed, "reply": reply}
                        for i, ((label, emotion, topic), (seed, reply)) in enumerate(zip(slots, drawn))]
            if is_main_process():  # every process holds the whole round; one writes it
                append_jsonl(raw_rows, checkpoint)
                log.info("round %d: %d replies checkpointed to %s", r, len(raw_rows), checkpoint)
            collector.consume(raw_rows)
            stats["n"] += len(raw_rows)
            r += 1
    metrics = collector.metrics()
    metrics.update(rounds=r, resumed_rounds=len(done_rounds), processes=world_size(), seconds=stats["seconds"],
                   generations_per_s=stats["n"] / stats["seconds"] if stats["seconds"] else 0.0)
    return collector.rows(), metrics


