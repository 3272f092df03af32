"""params.yaml `sft_audit.sample`: how the SFT audit sample is drawn."""
from __future__ import annotations

from typing import ClassVar, Literal, Optional, Union

from affectlab.config import NonNegativeInt, PositiveInt, Settings

Allocation = Union[Literal["proportional", "equal"], dict[str, NonNegativeInt]]


class AuditSampleSettings(Settings):
    SECTION: ClassVar[str] = "sft_audit.sample"
    source: str                        # local folder of parquet shards, or hf://datasets/<org>/<name>[@rev][/dir]
    n: PositiveInt                     # rows (conversations) to draw in total
    allocation: Allocation             # proportional | equal | {source: rows} (explicit; ignores n)
    min_per_source: NonNegativeInt     # floor per source for proportional/equal (a source with fewer rows gives all)
    seed: int                          # every draw derives from it (per source: seed + source name)
    row_groups_per_source: Optional[PositiveInt]  # two-stage cluster sampling: draw within this many row
    #                                    groups per source (more only if they hold too few rows); null = all
    turns: Literal["first", "last", "all"]  # which assistant turn(s) of a conversation to audit
