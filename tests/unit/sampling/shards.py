"""Synthetic Dolci-schema parquet shards for sampler tests."""
from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq

MESSAGE = pa.struct([("role", pa.string()), ("content", pa.string())])


def conversation(source: str, i: int) -> list[dict]:
    return [{"role": "user", "content": f"question {i}"},
            {"role": "assistant", "content": f"<think>thinking about {source} {i}</think>answer {source} {i}"}]


def make_rows(sizes: dict[str, int], messages=conversation) -> list[dict]:
    return [{"id": f"{s}-{i}", "dataset_source": s, "messages": messages(s, i)}
            for s in sorted(sizes) for i in range(sizes[s])]


def write_shards(folder, rows: list[dict], files: int = 2, row_group_size: int = 10, fs=None,
                 schema: pa.Schema | None = None) -> list[str]:
    """Split rows (in order) over `files` parquet files of `row_group_size`-row groups; `fs` = any
    fsspec filesystem (local when None)."""
    schema = schema or pa.schema([("id", pa.string()), ("dataset_source", pa.string()),
                                  ("messages", pa.list_(MESSAGE))])
    per = -(-len(rows) // files)
    paths = []
    for f in range(files):
        table = pa.Table.from_pylist(rows[f * per:(f + 1) * per], schema=schema)
        path = f"{folder}/part-{f:03d}.parquet"
        if fs is None:
            pq.write_table(table, path, row_group_size=row_group_size)
        else:
            with fs.open(path, "wb") as out:
                pq.write_table(table, out, row_group_size=row_group_size)
        paths.append(path)
    return paths
