"""Clean GoEmotions into one label per text: rater agreement, neutral reduction, quality, embedding outliers,
splits. Every step is a param of `reasoner.clean`, and every removed item is counted under its reason.

Steps, in order (the first that removes an item is its reason):
1. aggregation (raw config): rater rows flagged `example_very_unclear` are dropped; each rater's labels are
   mapped into the task's label set (so raters who say anger and annoyance agree on Ekman anger); per `id`,
   the labels given by at least `min_agreement` raters are kept; several: `single_only` drops the item,
   `majority` keeps the most voted (a tie is dropped). The simplified config is already aggregated: its
   items carry their label lists, and the rater-level filters are reported as not applied.
2. neutral reduction: neutral items dropped, or down-sampled (seeded) to `neutral_max_share` of the rest.
3. quality: too few words, URL/spam pattern, exact or normalised duplicate (first id kept), no emotional
   content under a non-neutral label (|VADER compound| below a threshold and no ! or ?).
4. embedding outliers (packaged MiniLM): cosine distance to the item's label centroid above mean + z * std
   of that label, or another label's centroid closer by `centroid_margin`; dropped or flagged.
5. splits: the source's own train/validation/test when it has them, else drawn BEFORE any of the steps above
   (per id, stratified by the raters' most voted task label, seeded), so the test ids are fixed first.

Beside the cleaned table, `untouched_test` keeps every test item of the source with the label(s) its raters
agree on (`min_agreement`, the source's own definition of a label) and no other filter: no very-unclear,
neutral, quality or outlier step. An item with several agreed labels keeps them all (`labels`); a prediction
is right when it is one of them (`evaluate.any_of_gold`). Neither the cleaning nor its MiniLM outlier judgement ever
sees it, so it is the honest test set: the README's headline.
"""
from __future__ import annotations

import dataclasses
import re
from collections import Counter
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

from affectlab.errors import InputError
from affectlab.reasoning.labels import NEUTRAL, label_names, to_task
from affectlab.reasoning.settings import ReasonerCleanSettings
from affectlab.sentiment.filters import normalize
from affectlab.sft.sources import GO_EMOTIONS, SPLITS

RAW_COLUMNS = ("text", "id", "rater_id", "example_very_unclear", *GO_EMOTIONS)
SIMPLIFIED_COLUMNS = ("text", "labels", "id")
QUALITY = ("too_short", "url_or_spam", "duplicate", "no_emotion")
OUTLIERS = ("far_from_centroid", "nearer_other_centroid")
CLEAN_COLUMNS = ["id", "text", "label", "split", "outlier"]
UNTOUCHED_COLUMNS = ["id", "text", "label", "labels"]  # labels: every agreed label, "|"-joined, sorted


@dataclasses.dataclass
class Cleaned:
    table: pd.DataFrame                 # CLEAN_COLUMNS, sorted by split then id
    embeddings: np.ndarray              # MiniLM vectors of table.text, row-aligned
    counts: Counter                     # removed items per reason (and flagged outliers)
    examples: dict[str, list[dict]]     # reason -> a few removed (or flagged) items
    stats: dict[str, Any]               # rater rows, items, filters that did not apply
    untouched: pd.DataFrame             # UNTOUCHED_COLUMNS: the source's test items, no filter, sorted by id


def detect_config(columns: Sequence[str], where: str) -> str:
    cols = set(columns)
    if set(RAW_COLUMNS) <= cols:
        return "raw"
    if set(SIMPLIFIED_COLUMNS) <= cols:
        return "simplified"
    missing = [c for c in RAW_COLUMNS if c not in cols]
    raise InputError(f"{where}: neither the raw columns (missing {', '.join(missing[:5])}"
                     f"{'...' if len(missing) > 5 else ''}) nor the simplified ones (text, labels, id); "
                     f"has {', '.join(sorted(cols)[:8])}")


def aggregate_raw(rows: pd.DataFrame, p: ReasonerCleanSettings, where: str, counts: Counter,
                  examples: dict) -> pd.DataFrame:
    """Rater rows -> one row per id with `label` (task label set) and `votes`."""
    labels = rows[list(GO_EMOTIONS)]
    bad = ~labels.isin([0, 1]) | labels.isna()
    if bad.to_numpy().any():
        r, c = np.argwhere(bad.to_numpy())[0]
        raise InputError(f"{where}:{r + 1}: column {GO_EMOTIONS[c]!r} is {labels.iat[r, c]}; a label column "
                         "must be 0 or 1")
    for column in ("id", "text"):
        empty = rows[column].isna() | (rows[column].astype(str).str.strip() == "")
        if empty.any():
            raise InputError(f"{where}:{int(np.flatnonzero(empty)[0]) + 1}: rater row without {column!r}; every "
                             "rater row needs the comment's id and text")
    texts: dict[str, str] = {}
    for rid, text in zip(rows["id"].astype(str), rows["text"].astype(str)):
        texts.setdefault(rid, text)
    unclear = rows["example_very_unclear"].astype(bool)
    counts["raters.very_unclear"] = int(unclear.sum()) if p.drop_very_unclear else 0
    if p.drop_very_unclear:  # an item all of whose raters found it very unclear ends as no_agreement
        rows, labels = rows[~unclear], labels[~unclear]
    votes: dict[str, Counter] = {rid: Counter() for rid in texts}
    for rid, row in zip(rows["id"].astype(str), labels.to_numpy().astype(bool)):
        votes[rid].update({to_task(GO_EMOTIONS[j], p.label_set) for j in np.flatnonzero(row)})
    out = []
    for rid in sorted(texts):
        agreed = {k: n for k, n in votes[rid].items() if n >= p.min_agreement}
        label, reason = _single(agreed, p.single_label)
        if reason:
            _remove(counts, examples, reason, rid, texts[rid], ",".join(sorted(votes[rid])) or "-")
            continue
        out.append({"id": rid, "text": texts[rid].strip(), "label": label, "split": None})
    return pd.DataFrame(out, columns=["id", "text", "label", "split"])


def aggregate_simplified(rows: pd.DataFrame, split: str, p: ReasonerCleanSettings, where: str,
                         counts: Counter, examples: dict) -> pd.DataFrame:
    out = []
    for i, (rid, text, ids) in enumerate(zip(rows["id"], rows["text"], rows["labels"])):
        if rid is None or text is None or not str(text).strip():
            raise InputError(f"{where}:{i + 1}: row without 'id' or 'text'")
        ids = list(ids if ids is not None else [])
        if any(not isinstance(j, (int, np.integer)) or not 0 <= j < len(GO_EMOTIONS) for j in ids):
            raise InputError(f"{where}:{i + 1}: labels {ids!r} must be ids in 0..{len(GO_EMOTIONS) - 1}")
        agreed = Counter({to_task(GO_EMOTIONS[j], p.label_set) for j in ids})
        label, reason = _single(dict(agreed), p.single_label)
        if reason:
            _remove(counts, examples, reason, str(rid), str(text), ",".join(sorted(agreed)) or "-")
            continue
        out.append({"id": str(rid), "text": str(text).strip(), "label": label, "split": split})
    return pd.DataFrame(out, columns=["id", "text", "label", "split"])


def _single(agreed: dict[str, int], policy: str) -> tuple[str | None, str | None]:
    if not agreed:
        return None, "no_agreement"
    if len(agreed) == 1:
        return next(iter(agreed)), None
    if policy == "single_only":
        return None, "multi_label"
    ranked = sorted(agreed.items(), key=lambda kv: -kv[1])
    return (None, "tied_labels") if ranked[0][1] == ranked[1][1] else (ranked[0][0], None)


def _remove(counts: Counter, examples: dict, reason: str, rid: str, text: str, label: str) -> None:
    counts[f"drops.{reason}"] += 1
    bucket = examples.setdefault(reason, [])
    if len(bucket) < 3:
        bucket.append({"id": rid, "text": text, "label": label})


def reduce_neutral(items: pd.DataFrame, p: ReasonerCleanSettings, counts: Counter, examples: dict) -> pd.DataFrame:
    neutral = items["label"] == NEUTRAL
    if p.neutral_policy == "keep" or not neutral.any():
        return items
    if p.neutral_policy == "drop":
        keep_n = 0
    else:  # neutral / (neutral + rest) <= share
        share = p.neutral_max_share
        keep_n = int(np.floor(share * (~neutral).sum() / (1 - share))) if share < 1 else int(neutral.sum())
    idx = np.flatnonzero(neutral.to_numpy())
    if keep_n >= len(idx):
        return items
    rng = np.random.default_rng(p.seed)
    dropped = np.sort(rng.permutation(idx)[:len(idx) - keep_n])
    for i in dropped:
        _remove(counts, examples, "neutral_reduced", items.iat[i, 0], items.iat[i, 1], NEUTRAL)
    return items.drop(items.index[dropped]).reset_index(drop=True)


def quality_reason(text: str, label: str, p: ReasonerCleanSettings, url: re.Pattern, seen: set,
                   vader: Callable[[str], float]) -> str | None:
    if len(text.split()) < p.min_words:
        return "too_short"
    if url.search(text):
        return "url_or_spam"
    key = normalize(text) if p.dedupe == "normalized" else text
    if key in seen:
        return "duplicate"
    seen.add(key)
    if label != NEUTRAL and "!" not in text and "?" not in text and abs(vader(text)) < p.no_emotion_vader:
        return "no_emotion"
    return None


def quality_filter(items: pd.DataFrame, p: ReasonerCleanSettings, counts: Counter, examples: dict,
                   vader: Callable[[str], float]) -> pd.DataFrame:
    url = re.compile(p.url_pattern, re.IGNORECASE)
    seen: set = set()
    keep = []
    for rid, text, label in zip(items["id"], items["text"], items["label"]):
        reason = quality_reason(text, label, p, url, seen, vader)
        if reason:
            _remove(counts, examples, reason, rid, text, label)
        keep.append(reason is None)
    return items[np.array(keep, dtype=bool)].reset_index(drop=True)


def outlier_reasons(vectors: np.ndarray, labels: Sequence[str], p: ReasonerCleanSettings) -> list[str | None]:
    """Per item: far_from_centroid, nearer_other_centroid or None (vectors are L2-normalised)."""
    labels = np.asarray(labels)
    names = sorted(set(labels))
    centroids = np.stack([vectors[labels == k].mean(0) for k in names])
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True).clip(1e-12)
    sims = vectors @ centroids.T
    own_col = np.array([names.index(k) for k in labels])
    own = sims[np.arange(len(labels)), own_col]
    dist = 1 - own
    reasons: list[str | None] = [None] * len(labels)
    for k in names:
        m = labels == k
        if m.sum() < 3:
            continue
        mu, sd = dist[m].mean(), dist[m].std()
        for i in np.flatnonzero(m & (dist > mu + p.outlier_z * sd)):
            reasons[i] = "far_from_centroid"
    others = sims.copy()
    others[np.arange(len(labels)), own_col] = -np.inf
    for i in np.flatnonzero(others.max(1) - own > p.centroid_margin):
        reasons[i] = reasons[i] or "nearer_other_centroid"
    return reasons


def _votes(rows: pd.DataFrame, config: str, label_set: str) -> tuple[dict[str, str], dict[str, Counter]]:
    """(text, votes per task label) per id, every rater row counted (raw) or every listed label (simplified)."""
    texts: dict[str, str] = {}
    votes: dict[str, Counter] = {}
    if config == "raw":
        flags = rows[list(GO_EMOTIONS)].fillna(0).to_numpy().astype(bool)
        for rid, text, row in zip(rows["id"].astype(str), rows["text"].astype(str), flags):
            texts.setdefault(rid, text.strip())
            votes.setdefault(rid, Counter()).update({to_task(GO_EMOTIONS[j], label_set) for j in np.flatnonzero(row)})
    else:
        for rid, text, ids in zip(rows["id"].astype(str), rows["text"].astype(str), rows["labels"]):
            texts.setdefault(rid, text.strip())
            votes.setdefault(rid, Counter()).update({to_task(GO_EMOTIONS[int(j)], label_set) for j in ids})
    return texts, votes


def draw_splits(rows: pd.DataFrame, config: str, p: ReasonerCleanSettings) -> dict[str, str]:
    """id -> split for a source without splits, drawn before cleaning: stratified by each id's most voted task
    label over all its rater rows (ties: first by name; no label: its own stratum), seeded."""
    _, votes = _votes(rows, config, p.label_set)
    first = pd.DataFrame({"label": [min(v, key=lambda k: (-v[k], k)) if v else "" for v in votes.values()]},
                         index=list(votes))
    return stratified_split(first, p).to_dict()


def untouched_test(rows: pd.DataFrame, config: str, p: ReasonerCleanSettings, counts: Counter) -> pd.DataFrame:
    """The source's test items with every label at least `min_agreement` raters gave (simplified: its listed
    labels); `label` is the most voted (ties: first by name). An item with no agreed label has no gold answer
    in the source and is counted (`untouched.no_label`), not scored."""
    texts, votes = _votes(rows, config, p.label_set)
    need = p.min_agreement if config == "raw" else 1
    out = []
    for rid in sorted(texts):
        agreed = {k: n for k, n in votes[rid].items() if n >= need}
        if not agreed:
            counts["untouched.no_label"] += 1
            continue
        counts["untouched.multi_label"] += len(agreed) > 1
        out.append({"id": rid, "text": texts[rid], "label": min(agreed, key=lambda k: (-agreed[k], k)),
                    "labels": "|".join(sorted(agreed))})
    return pd.DataFrame(out, columns=UNTOUCHED_COLUMNS)


def stratified_split(items: pd.DataFrame, p: ReasonerCleanSettings) -> pd.Series:
    """train/validation/test per label: each label's ids shuffled (seeded) and cut by the shares."""
    rng = np.random.default_rng(p.seed)
    split = pd.Series(index=items.index, dtype=object)
    for label in sorted(items["label"].unique()):
        idx = rng.permutation(items.index[items["label"] == label].to_numpy())
        n_test = int(round(len(idx) * p.split.test))
        n_val = int(round(len(idx) * p.split.validation))
        split[idx[:n_test]] = "test"
        split[idx[n_test:n_test + n_val]] = "validation"
        split[idx[n_test + n_val:]] = "train"
    return split


def clean(splits: dict[str, pd.DataFrame], p: ReasonerCleanSettings, embed: Callable[[Sequence[str]], np.ndarray],
          vader: Callable[[str], float], where: str) -> Cleaned:
    """`splits`: the source's splits as DataFrames (raw: one `train` of rater rows)."""
    counts: Counter = Counter()
    examples: dict[str, list[dict]] = {}
    config = detect_config(next(iter(splits.values())).columns, where)
    stats: dict[str, Any] = {"config": config, "rows": sum(len(t) for t in splits.values())}
    official = set(splits) >= set(SPLITS)
    everything = pd.concat(list(splits.values()), ignore_index=True)
    if config == "raw":
        items = pd.concat([aggregate_raw(t, p, f"{where}:{s}", counts, examples) for s, t in splits.items()],
                          ignore_index=True)
        stats["not_applied"] = []
    else:
        items = pd.concat([aggregate_simplified(t, s, p, f"{where}:{s}", counts, examples)
                           for s, t in splits.items()], ignore_index=True)
        stats["not_applied"] = ["very_unclear", "min_agreement"]
    drawn = None if official else draw_splits(everything, config, p)  # after aggregation checked the rows
    if drawn is not None:
        items["split"] = items["id"].map(drawn)
    stats["items"] = int(len(items) + sum(v for k, v in counts.items() if k.startswith("drops.")))
    items = reduce_neutral(items, p, counts, examples)
    items = quality_filter(items, p, counts, examples, vader)
    vectors = embed(items["text"].tolist()) if len(items) else np.zeros((0, 384), np.float32)
    reasons = outlier_reasons(vectors, items["label"].tolist(), p) if len(items) else []
    flagged = np.array([r is not None for r in reasons], dtype=bool)
    for i in np.flatnonzero(flagged):
        key = reasons[i] if p.outlier_action == "drop" else f"flagged_{reasons[i]}"
        _remove(counts, examples, key, items.at[i, "id"], items.at[i, "text"], items.at[i, "label"])
    items["outlier"] = flagged
    if p.outlier_action == "drop":
        items, vectors = items[~flagged].reset_index(drop=True), vectors[~flagged]
    stats["official_splits"] = official
    order = items.sort_values(["split", "id"]).index.to_numpy()
    test_rows = splits["test"] if official else everything[everything["id"].astype(str).map(drawn) == "test"]
    untouched = untouched_test(test_rows, config, p, counts)
    return Cleaned(items.loc[order, CLEAN_COLUMNS].reset_index(drop=True), vectors[order], counts, examples, stats,
                   untouched)


def clean_metrics(c: Cleaned, label_set: str) -> dict[str, Any]:
    """rows / drops.<reason> / labels.<split>.<label> / not_applied.<filter> / untouched.*."""
    m: dict[str, Any] = {"rater_rows": c.stats["rows"], "items": c.stats["items"], "kept": len(c.table),
                         "official_splits": c.stats["official_splits"]}
    for reason in ("no_agreement", "multi_label", "tied_labels", "neutral_reduced", *QUALITY, *OUTLIERS):
        m[f"drops.{reason}"] = c.counts.get(f"drops.{reason}", 0)
    for reason in OUTLIERS:
        m[f"flagged.{reason}"] = c.counts.get(f"drops.flagged_{reason}", 0)
    m["raters.very_unclear"] = c.counts.get("raters.very_unclear", 0)
    for split in SPLITS:
        part = c.table[c.table["split"] == split]
        m[f"rows.{split}"] = len(part)
        for label in label_names(label_set):
            m[f"labels.{split}.{label}"] = int((part["label"] == label).sum())
    for name in ("very_unclear", "min_agreement"):
        m[f"not_applied.{name}"] = name in c.stats["not_applied"]
    m["rows.test_untouched"] = len(c.untouched)
    for key in ("no_label", "multi_label"):
        m[f"untouched.{key}"] = c.counts.get(f"untouched.{key}", 0)
    for label in label_names(label_set):
        m[f"labels.test_untouched.{label}"] = int((c.untouched["label"] == label).sum())
    return m


def data_report(c: Cleaned, m: dict[str, Any]) -> str:
    lines = ["# GoEmotions cleaning (family D)", "",
             f"{m['rater_rows']} source rows ({c.stats['config']} config) -> {m['items']} items -> {m['kept']} kept "
             f"(train {m['rows.train']}, validation {m['rows.validation']}, test {m['rows.test']}); untouched test "
             f"{m['rows.test_untouched']} items (no filter; {m['untouched.multi_label']} with several agreed labels, "
             f"{m['untouched.no_label']} without any).", "",
             "| step | removed |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in m.items() if k.startswith(("drops.", "flagged.", "raters."))]
    if c.stats["not_applied"]:
        lines += ["", f"Not applied to this config: {', '.join(c.stats['not_applied'])}."]
    lines += ["", "## Examples per reason", ""]
    for reason, rows in sorted(c.examples.items()):
        lines.append(f"**{reason}**")
        lines += [f"- `{r['id']}` [{r['label']}] {r['text'][:140]!r}" for r in rows]
        lines.append("")
    return "\n".join(lines)
