"""Per-source row index of a parquet dataset, built from footers and row-group statistics.

A source-sorted dataset of millions of rows is indexed without scanning it: a row group whose
`dataset_source` statistics have min == max (and no nulls) belongs to one source, from metadata alone; only
row groups whose statistics span several sources have their (small, dictionary-encoded) source column read.
Local folders, `hf://datasets/...` and `http(s)://` folders (an HTML listing, files answering range requests)
go through the same fsspec code; every byte the parquet reader asks for is counted.
"""
from __future__ import annotations

import contextlib
import dataclasses
import io
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from affectlab.errors import InputError
from affectlab.progress import progress

SOURCE, MESSAGES, ID = "dataset_source", "messages", "id"
FOOTER_READERS = 8


class ByteCounter:
    """Thread-safe running total (files are read in parallel)."""

    def __init__(self) -> None:
        self.bytes = 0
        self._lock = threading.Lock()

    def add(self, n: int) -> None:
        with self._lock:
            self.bytes += n


class CountingFile(io.RawIOBase):
    """A read-only file that adds every byte it returns to a ByteCounter."""

    def __init__(self, f: Any, counter: ByteCounter):
        self._f, self._counter = f, counter

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, pos: int, whence: int = 0) -> int:
        return self._f.seek(pos, whence)

    def tell(self) -> int:
        return self._f.tell()

    def read(self, size: int = -1) -> bytes:
        data = self._f.read(size)
        self._counter.add(len(data))
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)

    def close(self) -> None:
        self._f.close()
        super().close()


@dataclasses.dataclass
class Runs:
    """Contiguous row ranges of one source: parallel arrays, one entry per (file, row group, run)."""
    file: np.ndarray    # index into Dataset.files
    group: np.ndarray   # row group within the file
    start: np.ndarray   # first row of the run within the row group
    length: np.ndarray
    row: np.ndarray     # global row number of the run's first row (files in sorted order)

    @property
    def rows(self) -> int:
        return int(self.length.sum())


@dataclasses.dataclass
class Dataset:
    root: str
    fs: Any
    files: list[str]
    metadata: list[pq.FileMetaData]
    has_id: bool
    sources: dict[str, Runs]
    counter: ByteCounter
    sizes: list[int]         # bytes of each file
    groups_scanned: int      # row groups whose source column had to be read

    @property
    def bytes_total(self) -> int:
        """Size of all parquet files."""
        return sum(self.sizes)

    @property
    def rows_per_source(self) -> dict[str, int]:
        return {s: r.rows for s, r in self.sources.items()}

    @contextlib.contextmanager
    def open(self, i: int) -> Iterator[pq.ParquetFile]:
        """File `i` for reading row groups (the footer is not read again)."""
        with CountingFile(_open(self.fs, self.files[i], self.sizes[i]), self.counter) as f:
            yield pq.ParquetFile(f, metadata=self.metadata[i])


def _open(fs: Any, path: str, size: int) -> Any:
    """A file whose every read is exactly what pyarrow asks for (a footer, a column chunk): one range
    request on a remote file system, whose default 5 MiB read-ahead fetched 28 MB to index the 20 footers
    of bench/sampling.py's mirror over HTTP (measured; 1.3 MB without it). A known size saves a HEAD
    request per open. Local files ignore both."""
    return fs.open(path, "rb", cache_type="none", size=size)


def open_dataset(source: str) -> Dataset:
    """Index the parquet files under `source` (folder, hf://datasets/<repo>[/dir] or an http(s):// folder)."""
    import fsspec

    fs, root = fsspec.core.url_to_fs(source)
    if not fs.exists(root):
        raise InputError(f"{source}: no such folder")
    # one listing call with sizes (a remote file system would otherwise answer one request per file)
    entries = fs.find(root, detail=True) if fs.isdir(root) else {root: fs.info(root)}
    files = sorted(p for p in entries if p.endswith(".parquet"))
    if not files:
        raise InputError(f"{source}: no parquet files found (expected *.parquet shards with columns "
                         f"{SOURCE!r} and {MESSAGES!r})")
    # an HTTP listing has no sizes: ask for those (HEAD requests, concurrently on an async file system)
    missing = [p for p in files if entries[p].get("size") is None]
    sizes = {**{p: entries[p]["size"] for p in files}, **dict(zip(missing, fs.sizes(missing)))}
    counter = ByteCounter()
    shown = [source if p == root else f"{source.rstrip('/')}/{p[len(root):].lstrip('/')}" for p in files]
    # A footer read is a round trip or two on a remote file system: read them concurrently (20 footers over
    # loopback HTTP: 0.20 s one by one, 0.10 s eight at a time; a hub's ~50 ms round trips multiply that),
    # consumed in file order so the index and the first error are deterministic.
    with ThreadPoolExecutor(max_workers=min(len(files), FOOTER_READERS)) as pool:
        indexed = list(progress(pool.map(lambda i: _index_file(fs, files[i], sizes[files[i]], i, shown[i], counter),
                                         range(len(files))), "sample_sft: indexing footers", total=len(files),
                                unit="file"))
    metadata, runs, row0, scanned = [], [], 0, 0
    for md, file_runs, file_scanned in indexed:
        runs += [(*r[:5], row0 + r[5]) for r in file_runs]  # file-local row numbers -> global
        row0 += md.num_rows
        scanned += file_scanned
        metadata.append(md)
    has_id = all(ID in md.schema.to_arrow_schema().names for md in metadata)
    by_source: dict[str, list[tuple]] = {}
    for r in runs:
        by_source.setdefault(r[0], []).append(r[1:])
    sources = {s: Runs(*(np.array(c, dtype=np.int64) for c in zip(*rs))) for s, rs in sorted(by_source.items())}
    return Dataset(source, fs, files, metadata, has_id, sources, counter, [int(sizes[p]) for p in files], scanned)


def _index_file(fs: Any, path: str, size: int, i: int, shown: str,
                counter: ByteCounter) -> tuple[pq.FileMetaData, list[tuple], int]:
    """(footer, runs of file `i` with file-local row numbers, row groups whose source column was read)."""
    runs, scanned, row = [], 0, 0
    with CountingFile(_open(fs, path, size), counter) as f:
        pf = pq.ParquetFile(f)
        _check_schema(pf.schema_arrow, shown)
        md = pf.metadata
        # statistics are per leaf column: find the source's leaf (nested columns before it add leaves)
        col = next(j for j in range(md.num_columns) if md.schema.column(j).path == SOURCE)
        for g in range(md.num_row_groups):
            n = md.row_group(g).num_rows
            stats = md.row_group(g).column(col).statistics
            if stats is not None and stats.has_min_max and stats.null_count == 0 and stats.min == stats.max:
                runs.append((stats.min, i, g, 0, n, row))
            elif n:
                scanned += 1
                runs += _runs_of(pf.read_row_group(g, columns=[SOURCE]).column(0), i, g, row, shown, row)
            row += n
    return md, runs, scanned


def _runs_of(column: pa.ChunkedArray, file: int, group: int, row0: int, path: str, file_row0: int) -> list[tuple]:
    if column.null_count:
        first = int(np.flatnonzero(column.is_null().to_numpy(zero_copy_only=False))[0])
        raise InputError(f"{path}:{file_row0 + first}: {SOURCE} is null (every row needs a source name)")
    codes = column.combine_chunks().dictionary_encode()
    idx = codes.indices.to_numpy()
    names = codes.dictionary.to_pylist()
    starts = np.concatenate([[0], np.flatnonzero(idx[1:] != idx[:-1]) + 1])
    ends = np.append(starts[1:], len(idx))
    return [(names[idx[a]], file, group, int(a), int(b - a), row0 + int(a)) for a, b in zip(starts, ends)]


def _check_schema(schema: pa.Schema, path: str) -> None:
    for name in (SOURCE, MESSAGES):
        if name not in schema.names:
            raise InputError(f"{path}: missing column {name!r} (has {', '.join(schema.names)}); "
                             f"expected the Dolci schema: id, {SOURCE}, {MESSAGES}")
    if not (pa.types.is_string(schema.field(SOURCE).type) or pa.types.is_large_string(schema.field(SOURCE).type)):
        raise InputError(f"{path}: column {SOURCE!r} is {schema.field(SOURCE).type}, expected string")
    t = schema.field(MESSAGES).type
    ok = (pa.types.is_list(t) or pa.types.is_large_list(t)) and pa.types.is_struct(t.value_type) and \
        {"role", "content"} <= {f.name for f in t.value_type}
    if not ok:
        raise InputError(f"{path}: column {MESSAGES!r} is {t}, expected a list of {{role, content}} "
                         "structs (list<struct<role: string, content: string>>)")
