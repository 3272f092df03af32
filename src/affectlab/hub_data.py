"""Open a dataset in a hub layout, by hub id or from a local folder, with `datasets.load_dataset`.

A stage's outs must follow from its declared deps only. `datasets` caches what it builds under
~/.cache/huggingface/datasets, and for a local folder (datasets 5.2.0) the cache key is the folder's NAME
plus the README's `configs:` patterns when it has them, or the files' paths and mtimes when it has not; never
the files' content. So a `go_emotions/` folder in another checkout, or a parquet file rewritten in place,
silently reads rows cached from other data. A local folder is therefore built in a private temporary cache
and kept in memory; a hub id keeps the shared cache, where a pinned revision is content-addressed.
"""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Optional

from affectlab.errors import InputError, first_line


def load_hub_dataset(path: str, config: Optional[str] = None, split: Optional[str] = None,
                     revision: Optional[str] = None) -> Any:
    """`datasets.load_dataset(path, config, split=split, revision=revision)`: a `Dataset` when `split` is
    given, else a `DatasetDict`. A local folder (`revision` does not apply) never reads or writes a shared
    cache. Any library failure is an InputError naming the source, config and split."""
    import datasets

    try:
        if not Path(path).exists():
            return datasets.load_dataset(path, name=config, split=split, revision=revision)
        with tempfile.TemporaryDirectory(prefix="affectlab-datasets-") as cache_dir:
            # in memory, so nothing points into the cache folder once it is removed
            return datasets.load_dataset(path, name=config, split=split, cache_dir=cache_dir, keep_in_memory=True)
    except Exception as e:  # datasets raises many types (FileNotFoundError, DatasetNotFoundError, ValueError)
        where = f"config {config!r}" + (f", split {split!r}" if split is not None else "")
        raise InputError(f"cannot load {path!r} ({where}): {first_line(e)}") from None
