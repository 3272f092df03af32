"""params.yaml `sft_audit.sample`: how the SFT audit sample is drawn."""
from __future__ import annotations

import dataclasses
from typing import Literal, Optional, Union

Allocation = Union[Literal["proportional", "equal"], dict[str, int]]


@dataclasses.dataclass(frozen=True)
class SampleSettings:
    source: str                        # local folder of parquet shards, or hf://datasets/<org>/<name>[@rev][/dir]
    n: int = 1000                      # rows (conversations) to draw in total
    allocation: Allocation = "proportional"  # proportional | equal | {source: rows} (explicit; ignores n)
    min_per_source: int = 0            # floor per source for proportional/equal (a source with fewer rows gives all)
    seed: int = 0                      # every draw derives from it (per source: seed + source name)
    row_groups_per_source: Optional[int] = None  # two-stage cluster sampling: draw within this many row
    #                                    groups per source (more only if they hold too few rows); null = all
    turns: Literal["first", "last", "all"] = "last"  # which assistant turn(s) of a conversation to audit
