"""Draw the allocated rows per source, reading only the row groups and columns that hold them.

Per source, a seeded random permutation of its rows (or, in cluster mode, of the rows of a few randomly
chosen row groups) is walked from the front: the first `k` rows that have an assistant turn are the
sample, i.e. a simple random sample without replacement of the usable rows. Rows without an assistant turn
are skipped and counted, and the next rows of the permutation replace them, so the allocation stays exact
while the source has rows left. Each source's generator is seeded from (seed, source name), so adding a
source to the dataset does not change the rows drawn from the others.
"""
from __future__ import annotations

import dataclasses
import os
import zlib
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from affectlab.progress import progress
from affectlab.sampling.index import ID, MESSAGES, Dataset, Runs
from affectlab.sampling.turns import assistant_turns, split_think


@dataclasses.dataclass
class SourcePlan:
    runs: Runs
    order: np.ndarray        # positions into the concatenated runs, in draw order
    groups_chosen: int       # row groups the draw is confined to (all of the source's unless cluster mode)
    cursor: int = 0

    def take(self, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The next k candidates as (file, group, row within group, global row)."""
        pos = self.order[self.cursor:self.cursor + k]
        self.cursor += len(pos)
        ends = np.cumsum(self.runs.length)
        run = np.searchsorted(ends, pos, side="right")
        offset = pos - (ends[run] - self.runs.length[run])
        return (self.runs.file[run], self.runs.group[run], self.runs.start[run] + offset,
                self.runs.row[run] + offset)


def plan_source(runs: Runs, k: int, seed: int, source: str, row_groups: int | None) -> SourcePlan:
    rng = np.random.default_rng([seed, zlib.crc32(source.encode())])
    if row_groups is not None:
        runs = _choose_groups(runs, k, row_groups, rng)
    groups = len(np.unique(runs.file * 2**32 + runs.group))
    return SourcePlan(runs, rng.permutation(runs.rows), groups)


def _choose_groups(runs: Runs, k: int, row_groups: int, rng: np.random.Generator) -> Runs:
    """Two-stage cluster sampling, stage one: row groups drawn without replacement with probability
    proportional to how many of the source's rows they hold (Efraimidis-Spirakis keys), `row_groups` of
    them, more only while they hold fewer than k rows."""
    keys, inverse = np.unique(runs.file * 2**32 + runs.group, return_inverse=True)
    sizes = np.bincount(inverse, weights=runs.length).astype(np.float64)
    order = np.argsort(np.log(rng.random(len(keys))) / sizes)[::-1]
    covered = np.cumsum(sizes[order])
    needed = int(np.searchsorted(covered, k)) + 1  # groups until their rows reach k
    chosen = order[:max(row_groups, min(needed, len(order)))]
    keep = np.isin(inverse, chosen)
    return Runs(*(getattr(runs, f.name)[keep] for f in dataclasses.fields(Runs)))


@dataclasses.dataclass
class Draw:
    records: list[dict[str, Any]]
    drawn: dict[str, int]           # rows in the sample per source
    skipped: dict[str, int]         # drawn rows without an assistant turn, replaced where possible
    groups_read: int                # distinct row groups whose data columns were read
    group_reads: int                # row-group reads (a replacement round may read a group again)


def _read_file(ds: Dataset, f: int, groups: dict[int, list[tuple[int, int, str]]], columns: list[str]) -> list:
    """[(group, table of the wanted rows in `groups[group]` order)] for one file."""
    with ds.open(f) as pf:
        return [(g, pf.read_row_group(g, columns=columns).take([r[0] for r in groups[g]])) for g in sorted(groups)]


def draw_rows(ds: Dataset, plans: dict[str, SourcePlan], allocated: dict[str, int], turns: str) -> Draw:
    need = {s: allocated[s] for s in plans}
    drawn, skipped = defaultdict(int), defaultdict(int)
    records: list[dict[str, Any]] = []
    groups_read: set[tuple[int, int]] = set()
    group_reads = 0
    columns = [ID, MESSAGES] if ds.has_id else [MESSAGES]
    while True:
        wanted: dict[tuple[int, int], list[tuple[int, int, str]]] = defaultdict(list)
        for s, plan in plans.items():
            if need[s] > 0:
                for f, g, local, row in zip(*plan.take(need[s])):
                    wanted[(int(f), int(g))].append((int(local), int(row), s))
        if not wanted:
            break
        files = sorted({f for f, _ in wanted})
        # Decoding a row group's messages column is the cost (pyarrow releases the GIL): read files in
        # parallel, one handle per file, and consume results in file order so the outcome is deterministic.
        with ThreadPoolExecutor(max_workers=min(len(files), os.cpu_count() or 1)) as pool:
            tables = pool.map(lambda f: _read_file(ds, f, {g: wanted[(f, g)] for ff, g in wanted if ff == f},
                                                   columns), files)
            for f, per_group in progress(zip(files, tables), "sample_sft: reading drawn rows", total=len(files),
                                         unit="file"):
                for g, table in per_group:
                    rows = wanted[(f, g)]
                    groups_read.add((f, g))
                    group_reads += 1
                    ids = table.column(ID).to_pylist() if ds.has_id else [f"row-{r[1]}" for r in rows]
                    for (_, row, s), rid, messages in zip(rows, ids, table.column(MESSAGES).to_pylist()):
                        chosen = assistant_turns(messages, turns)
                        if not chosen:
                            skipped[s] += 1
                            continue
                        need[s] -= 1
                        drawn[s] += 1
                        for turn, content in chosen:
                            split = split_think(content)
                            records.append({"id": rid, "source": s, "row": row, "turn": turn,
                                            **dataclasses.asdict(split)})
    records.sort(key=lambda r: (r["source"], r["row"], r["turn"]))
    return Draw(records, dict(drawn), dict(skipped), len(groups_read), group_reads)
