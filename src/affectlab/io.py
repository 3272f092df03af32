"""File I/O at the edges of stages: atomic writes and line-numbered readers.

Every out is written to a temporary sibling and renamed into place, so a killed stage never leaves a
half-written file that a later `dvc repro` would mistake for a result.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterable, Iterator

from affectlab.errors import InputError

log = logging.getLogger(__name__)


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success it replaces `path`, on error it is removed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_dir(path: str | Path) -> Iterator[Path]:
    """Yield an empty temporary folder beside `path`; on success it replaces the folder `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    try:
        yield tmp
        if path.exists():
            old = path.with_name(f".{path.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(path, old)
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def write_text_atomic(text: str, path: str | Path) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_json_atomic(obj: Any, path: str | Path) -> None:
    write_text_atomic(json.dumps(_jsonable(obj), indent=2, sort_keys=True) + "\n", path)


def write_csv_atomic(frame: Any, path: str | Path, float_format: str = "%.6g") -> None:
    """A pandas DataFrame as CSV (plot data for `dvc plots`), without the index."""
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False, float_format=float_format)


def save_figure_atomic(fig: Any, path: str | Path) -> None:
    """A matplotlib figure as PNG (tight bounding box), then closed so long reports do not pile up figures."""
    from affectlab.plotting import pyplot

    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight")
    pyplot().close(fig)


def write_jsonl_atomic(rows: Iterable[dict], path: str | Path) -> int:
    n = 0
    with atomic_path(path) as tmp, open(tmp, "w") as f:
        for row in rows:
            f.write(json.dumps(_jsonable(row), ensure_ascii=False) + "\n")
            n += 1
    return n


def append_jsonl(rows: Iterable[dict], path: str | Path) -> None:
    """Append rows to a checkpoint file and fsync, so a kill loses at most the line being written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _end_last_line(path)
    with open(path, "a") as f:
        for row in rows:
            f.write(json.dumps(_jsonable(row), ensure_ascii=False) + "\n")
        f.flush()
        os.fsync(f.fileno())


def _end_last_line(path: Path) -> None:
    """Make `path` end with a newline before rows are appended to it. Appending after an unterminated last
    line would join the first new row to it and leave a bad line in the middle of the file, which no later
    read skips. A last line that parses (a hand-written file without a final newline) is kept and ended; one
    that does not (a write cut by a kill, which `read_jsonl(allow_truncated_tail=True)` skips) is cut off."""
    if not path.is_file() or path.stat().st_size == 0:
        return
    with open(path, "rb+") as f:
        f.seek(-1, os.SEEK_END)
        if f.read(1) == b"\n":
            return
        f.seek(0)
        data = f.read()
        start = data.rfind(b"\n") + 1
        try:
            json.loads(data[start:])
        except (json.JSONDecodeError, UnicodeDecodeError):
            log.warning("%s:%d: dropping a truncated last line (interrupted write) before appending", path,
                        data.count(b"\n") + 1)
            f.truncate(start)
            return
        f.seek(0, os.SEEK_END)
        f.write(b"\n")


def read_jsonl(path: str | Path, *, allow_truncated_tail: bool = False) -> Iterator[tuple[int, dict]]:
    """Yield (line number, object) for each non-blank line. A malformed line raises InputError
    `file:line: reason`; with `allow_truncated_tail`, an unterminated malformed last line (a write cut by
    a kill) is skipped with a warning instead, so a checkpoint can be resumed."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    with open(path, "rb") as f:
        lines = f.read().split(b"\n")
    # split leaves "" after a final newline; anything else in the last slot was never terminated
    last = len(lines)
    for lineno, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            if allow_truncated_tail and lineno == last:
                log.warning("%s:%d: ignoring a truncated last line (interrupted write)", path, lineno)
                return
            raise InputError(f"{path}:{lineno}: not valid JSON ({e.msg if hasattr(e, 'msg') else e})") from None
        if not isinstance(obj, dict):
            raise InputError(f"{path}:{lineno}: expected a JSON object, got {type(obj).__name__}")
        yield lineno, obj


def read_json(path: str | Path, fix: str = "") -> Any:
    """A JSON file, or InputError `file: not valid JSON (line L column C: reason)` plus how to fix it."""
    path = Path(path)
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise InputError(f"{path}: file not found" + (f"; {fix}" if fix else "")) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        where = f"line {e.lineno} column {e.colno}: {e.msg}" if isinstance(e, json.JSONDecodeError) else str(e)
        raise InputError(f"{path}: not valid JSON ({where})" + (f"; {fix}" if fix else "")) from None


def yaml_error(path: str | Path, error: Exception) -> InputError:
    """One line for a YAML syntax error (PyYAML's own message runs over several lines): `file:line: ...`."""
    mark = getattr(error, "problem_mark", None)
    where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
    problem = getattr(error, "problem", None) or str(error).splitlines()[0]
    context = getattr(error, "context", None)
    return InputError(f"{where}: not valid YAML ({problem}" + (f", {context}" if context else "") + ")")


def read_yaml(path: str | Path, loader: Any = None) -> Any:
    """A YAML file (safe loader unless `loader`); a syntax error is one InputError naming file and line."""
    import yaml

    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    try:
        return yaml.load(path.read_text(), Loader=loader or yaml.SafeLoader)
    except yaml.YAMLError as e:
        raise yaml_error(path, e) from None


def write_parquet_atomic(table: Any, path: str | Path) -> None:
    """Write a pandas DataFrame or pyarrow Table to parquet atomically."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not isinstance(table, pa.Table):
        table = pa.Table.from_pandas(table, preserve_index=False)
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp)


def write_safetensors_atomic(data: bytes, path: str | Path) -> None:
    """Write the bytes of safetensors' `save(tensors, metadata)` with the header in one order (metadata keys
    sorted, tensors by offset). safetensors keeps the metadata in a Rust HashMap whose order changes from
    process to process: the same heads with four metadata keys gave a different md5 in every run."""
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", None)
    ordered = {"__metadata__": dict(sorted(meta.items()))} if meta is not None else {}
    ordered.update(sorted(header.items(), key=lambda kv: tuple(kv[1]["data_offsets"])))
    text = json.dumps(ordered, separators=(",", ":"), ensure_ascii=False).encode()
    text += b" " * (-len(text) % 8)  # safetensors pads the header to 8 bytes (aligned tensor data)
    with atomic_path(path) as tmp:
        tmp.write_bytes(len(text).to_bytes(8, "little") + text + data[8 + n:])


def read_parquet(path: str | Path, columns: list[str] | None = None):
    """Read parquet into pandas, naming the file and the missing columns on error."""
    import pyarrow.parquet as pq

    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: file not found (run the stage that writes it: `dvc repro`)")
    schema = pq.read_schema(path) if path.is_file() else None
    if columns and schema is not None:
        missing = [c for c in columns if c not in schema.names]
        if missing:
            raise InputError(f"{path}: missing column(s) {', '.join(missing)} (has {', '.join(schema.names)})")
    return pq.read_table(path, columns=columns).to_pandas()


@contextlib.contextmanager
def hdf5_atomic(path: str | Path) -> Iterator[Any]:
    """Open an HDF5 file for writing at a temporary path; it replaces `path` only when the block succeeds."""
    import h5py

    with atomic_path(path) as tmp:
        with h5py.File(tmp, "w") as f:
            yield f


def fingerprint(settings: Any, files: Iterable[str | Path] = ()) -> str:
    """16 hex digits of sha256 over `settings` (as sorted JSON) and the bytes of `files`, in order: the
    identity of a resumable run, so a checkpoint is resumed only by the same settings and inputs."""
    h = hashlib.sha256(json.dumps(_jsonable(settings), sort_keys=True, default=str).encode())
    for path in files:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 22), b""):  # weights can be GBs: stream them
                h.update(block)
    return h.hexdigest()[:16]


def _jsonable(obj: Any) -> Any:
    """Settings, numpy scalars/arrays and NaN -> plain JSON (NaN becomes null: JSON has no NaN)."""
    if hasattr(obj, "model_dump"):  # a params section (affectlab.config.Settings)
        return _jsonable(obj.model_dump(mode="json"))
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if hasattr(obj, "tolist") and not isinstance(obj, (str, bytes)):
        return _jsonable(obj.tolist())
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, Path):
        return str(obj)
    return obj
