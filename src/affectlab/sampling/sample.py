"""The SFT audit sample: index the dataset, allocate n over its sources, draw, split think/answer."""
from __future__ import annotations

from typing import Any

import pandas as pd

from affectlab.sampling.allocation import allocate
from affectlab.sampling.draw import draw_rows, plan_source
from affectlab.sampling.index import open_dataset
from affectlab.sampling.settings import AuditSampleSettings

COLUMNS = ["id", "source", "row", "turn", "think", "response", "has_think", "unclosed_think"]


def sample_sft(p: AuditSampleSettings) -> tuple[pd.DataFrame, dict[str, Any]]:
    """(sample with COLUMNS, flat metrics). Reads footers, the source column of row groups whose statistics
    span sources, and the id/messages columns of the row groups that hold drawn rows: nothing else."""
    ds = open_dataset(p.location)
    index_bytes = ds.counter.bytes
    rows = ds.rows_per_source
    alloc = allocate(rows, p.n, p.allocation, p.min_per_source)
    plans = {s: plan_source(ds.sources[s], k, p.seed, s, p.row_groups_per_source)
             for s, k in alloc.allocated.items() if k > 0}
    result = draw_rows(ds, plans, alloc.allocated, p.turns)
    sample = pd.DataFrame(result.records, columns=COLUMNS).astype({"row": "int64", "turn": "int64"})
    metrics: dict[str, Any] = {
        "n_requested": p.n if isinstance(p.allocation, str) else sum(p.allocation.values()),
        "n_rows": sum(result.drawn.values()),
        "n_records": len(sample),
        "dataset_rows": sum(rows.values()),
        "dataset_files": len(ds.files),
        "dataset_row_groups": sum(md.num_row_groups for md in ds.metadata),
        "dataset_bytes": ds.bytes_total,
        "row_groups_scanned_for_source": ds.groups_scanned,
        "row_groups_read": result.groups_read,
        "row_group_reads": result.group_reads,
        "bytes_read_index": index_bytes,
        "bytes_read": ds.counter.bytes,
        "bytes_read_fraction": round(ds.counter.bytes / max(ds.bytes_total, 1), 4),
        "skipped_no_assistant_turn": sum(result.skipped.values()),
        "short_sources": len([s for s in rows if result.drawn.get(s, 0) < alloc.target[s]]),
        "records_with_think": int(sample["has_think"].sum()),
        "records_unclosed_think": int(sample["unclosed_think"].sum()),
    }
    for s in rows:
        metrics.update({f"sources.{s}.rows": rows[s], f"sources.{s}.target": alloc.target[s],
                        f"sources.{s}.allocated": alloc.allocated[s], f"sources.{s}.drawn": result.drawn.get(s, 0),
                        f"sources.{s}.skipped_no_assistant_turn": result.skipped.get(s, 0),
                        f"sources.{s}.row_groups": int(len(set(zip(ds.sources[s].file, ds.sources[s].group)))),
                        f"sources.{s}.row_groups_sampled": plans[s].groups_chosen if s in plans else 0})
    return sample, metrics
