"""The labelled sentences, their split (held out by topic, stratified by class), and the per-layer HDF5 activation files.

Layer files `layer_XX.h5` (XX = 00 for the embeddings, i for the output of block i; the last one carries
the model's final norm, as Hugging Face `hidden_states` do) hold the datasets `activations` [N, hidden],
`labels` [N] (1 = positive), `ids` [N], `split` [N] ('train' | 'validation' | 'test') and the attrs `model`,
`pooling`, `last_k`, `layer`, `num_layers`, `hidden_size`, `max_length`.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Sequence

import numpy as np

from affectlab.errors import InputError
from affectlab.io import read_jsonl
from affectlab.probes.settings import ProbeSplit

LABEL_IDS = {"negative": 0, "positive": 1}
SPLITS = ("train", "validation", "test")


def read_sentences(path: str | Path) -> list[dict]:
    """Rows of generated.jsonl with a non-empty `text`, a `label` positive|negative and a unique `id`."""
    rows, seen = [], {}
    for lineno, row in read_jsonl(path):
        text, label, rid = row.get("text"), row.get("label"), row.get("id")
        if not isinstance(text, str) or not text.strip():
            raise InputError(f"{path}:{lineno}: 'text' must be a non-empty string, got {text!r}")
        if label not in LABEL_IDS:
            raise InputError(f"{path}:{lineno}: 'label' must be 'positive' or 'negative', got {label!r}")
        if not isinstance(rid, str) or not rid:
            raise InputError(f"{path}:{lineno}: 'id' must be a non-empty string, got {rid!r}")
        if rid in seen:
            raise InputError(f"{path}:{lineno}: id {rid!r} repeats line {seen[rid]}")
        seen[rid] = lineno
        rows.append(row)
    if not rows:
        raise InputError(f"{path}: no rows")
    return rows


def read_probe_set(path: str | Path) -> list[dict]:
    """Rows with id, text, label (checked as generated sentences are) and a non-empty `note`."""
    rows = read_sentences(path)
    for lineno, row in enumerate(rows, start=1):
        if not isinstance(row.get("note"), str) or not row["note"].strip():
            raise InputError(f"{path}:{lineno}: 'note' must say why the label holds, got {row.get('note')!r}")
    return rows


def read_probe_sets(folder: str | Path) -> dict[str, list[dict]]:
    """Every `<name>.jsonl` under `folder`, by name (sorted); ids must be unique across the sets."""
    files = sorted(Path(folder).glob("*.jsonl"))
    if not files:
        raise InputError(f"{folder}/: no held-out sets (*.jsonl)")
    sets, seen = {}, {}
    for path in files:
        sets[path.stem] = read_probe_set(path)
        for lineno, row in enumerate(sets[path.stem], start=1):
            if row["id"] in seen:
                raise InputError(f"{path}:{lineno}: id {row['id']!r} repeats {seen[row['id']]}")
            seen[row["id"]] = f"{path}:{lineno}"
    return sets


def stratified_split(labels: Sequence[str], split: ProbeSplit, seed: int, source: str = "input") -> np.ndarray:
    """'train' | 'validation' | 'test' per row, the same fractions within each class (seeded shuffle)."""
    labels = np.asarray(labels)
    out = np.empty(len(labels), dtype=object)
    rng = np.random.default_rng(seed)
    counts = {label: int((labels == label).sum()) for label in LABEL_IDS}
    for label in sorted(LABEL_IDS):
        idx = np.flatnonzero(labels == label)
        n_val, n_test = round(len(idx) * split.validation), round(len(idx) * split.test)
        n_train = len(idx) - n_val - n_test
        if min(n_train, n_val, n_test) < 1:
            need = next(n for n in range(1, 10_000) if min(round(n * split.validation), round(n * split.test),
                                                           n - round(n * split.validation) - round(n * split.test)) >= 1)
            raise InputError(
                f"{source}: class {label!r} has {len(idx)} rows (class counts: "
                + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
                + f"), too few for a {split.train}/{split.validation}/{split.test} stratified split: "
                f"every split needs a row of each class, so at least {need} rows per class")
        idx = rng.permutation(idx)
        out[idx[:n_train]] = "train"
        out[idx[n_train:n_train + n_val]] = "validation"
        out[idx[n_train + n_val:]] = "test"
    return out.astype(str)


def topic_split(labels: Sequence[str], topics: Sequence[str], split: ProbeSplit, seed: int,
                source: str = "input") -> np.ndarray:
    """'train' | 'validation' | 'test' per row with every topic in one split only, so a probe cannot pass
    the test on topic words it saw in training. Topics go, largest first (seeded order among equal sizes),
    to the split whose per-class row counts move closest to the target fractions (squared gap relative to
    the target): stratified by class as far as the topics' sizes allow."""
    labels, topics = np.asarray(labels), np.asarray(topics, dtype=object)
    classes = sorted(LABEL_IDS)
    for i, topic in enumerate(topics):
        if not isinstance(topic, str) or not topic.strip():
            raise InputError(f"{source}: row {i + 1}: 'topic' must be a non-empty string, got {topic!r} "
                             "(the test split is held out by topic)")
    names = sorted(set(topics))
    rng = np.random.default_rng(seed)
    counts = {t: np.array([int(((topics == t) & (labels == c)).sum()) for c in classes]) for t in names}
    order = sorted(rng.permutation(len(names)), key=lambda i: -counts[names[i]].sum())
    fractions = np.array([split.train, split.validation, split.test])
    target = fractions[:, None] * np.array([(labels == c).sum() for c in classes])[None, :]
    have = np.zeros_like(target)
    chosen = {}
    for i in order:
        add = counts[names[i]]
        cost = [(((have + np.eye(3)[s][:, None] * add) - target) ** 2 / np.maximum(target, 1e-9)).sum()
                for s in range(3)]
        s = int(np.argmin(cost))
        have[s] += add
        chosen[names[i]] = SPLITS[s]
    out = np.array([chosen[t] for t in topics], dtype=object).astype(str)
    for s, name in enumerate(SPLITS):
        if (have[s] < 1).any():
            found = "; ".join(f"{n}: " + ", ".join(f"{c} {int(v)}" for c, v in zip(classes, have[k]))
                              for k, n in enumerate(SPLITS))
            raise InputError(f"{source}: {len(labels)} rows in {len(names)} topics cannot be split by topic "
                             f"with a row of each class in every split ({found}); generate more sentences "
                             "or use more topics")
    return out


@dataclasses.dataclass(frozen=True)
class Activations:
    """All layers in memory: x [layers, N, hidden] float32, y [N], ids [N], split [N], attrs."""
    x: np.ndarray
    y: np.ndarray
    ids: np.ndarray
    split: np.ndarray
    attrs: dict

    def rows(self, name: str) -> np.ndarray:
        return np.flatnonzero(self.split == name)


def layer_files(folder: str | Path) -> list[Path]:
    files = sorted(Path(folder).glob("layer_*.h5"))
    if not files:
        raise InputError(f"{folder}/: no layer_XX.h5 files (run `dvc repro capture_activations`)")
    return files


def read_activations(folder: str | Path, *, model: str, pooling: str) -> Activations:
    """Load every layer file, checking that all of them come from `model` with `pooling` and agree on rows."""
    import h5py

    xs, first = [], None
    files = layer_files(folder)
    for i, path in enumerate(files):
        with h5py.File(path, "r") as f:
            attrs = {k: (v.item() if hasattr(v, "item") else v) for k, v in f.attrs.items()}
            found = (attrs.get("model"), attrs.get("pooling"))
            if found != (model, pooling):
                raise InputError(f"{path}: captured from model {found[0]!r} with pooling {found[1]!r}, expected "
                                 f"model {model!r} with pooling {pooling!r}; re-run `dvc repro capture_activations`")
            if attrs.get("layer") != i or attrs.get("num_layers") != len(files):
                raise InputError(f"{path}: layer {attrs.get('layer')} of {attrs.get('num_layers')}, expected layer "
                                 f"{i} of {len(files)} (files from different captures are mixed)")
            for name in ("activations", "labels", "ids", "split"):
                if name not in f:
                    raise InputError(f"{path}: no {name!r} dataset (a layer file holds activations, labels, ids, "
                                     "split); re-run `dvc repro capture_activations`")
            x = f["activations"][:].astype(np.float32)
            ids = f["ids"].asstr()[:]
            expected = [len(ids), attrs.get("hidden_size")]
            if list(x.shape) != expected:
                raise InputError(f"{path}: activations has shape {list(x.shape)}, expected {expected} (rows x "
                                 "hidden_size); re-run `dvc repro capture_activations`")
            if first is None:
                first = Activations(np.empty(0), f["labels"][:].astype(np.int64), ids, f["split"].asstr()[:], attrs)
            elif not np.array_equal(ids, first.ids) or x.shape[1] != first.attrs["hidden_size"]:
                raise InputError(f"{path}: rows or hidden size differ from {files[0]} (mixed captures)")
        xs.append(x)
    return dataclasses.replace(first, x=np.stack(xs))
