"""params.yaml `sft_audit.sample`: how the SFT audit sample is drawn."""
from __future__ import annotations

from typing import ClassVar, Literal, Optional, Union

import pydantic

from affectlab.config import NonNegativeInt, PositiveInt, Settings

Allocation = Union[Literal["proportional", "equal"], dict[str, NonNegativeInt]]


class AuditSampleSettings(Settings):
    SECTION: ClassVar[str] = "sft_audit.sample"
    source: str                        # local folder of parquet shards, hf://datasets/<org>/<name>[/dir], or http(s)://
    revision: Optional[str]            # hf:// sources: the dataset commit or tag (pin a 40-hex commit)
    n: PositiveInt                     # rows (conversations) to draw in total
    allocation: Allocation             # proportional | equal | {source: rows} (explicit; ignores n)
    min_per_source: NonNegativeInt     # floor per source for proportional/equal (a source with fewer rows gives all)
    seed: int                          # every draw derives from it (per source: seed + source name)
    row_groups_per_source: Optional[PositiveInt]  # two-stage cluster sampling: draw within this many row
    #                                    groups per source (more only if they hold too few rows); null = all
    turns: Literal["first", "last", "all"]  # which assistant turn(s) of a conversation to audit

    @pydantic.model_validator(mode="after")
    def _revision_of_a_hub_source(self) -> AuditSampleSettings:
        if self.revision is not None and not self.source.startswith("hf://datasets/"):
            raise ValueError(f"revision: applies to hf://datasets/ sources only, got source {self.source!r}; "
                             "set it to null")
        if self.revision is not None and "@" in self.source:
            raise ValueError(f"revision: the source already names one ({self.source!r}); give it once")
        return self

    @property
    def location(self) -> str:
        """The source with its revision, as fsspec's HfFileSystem reads it: hf://datasets/org/name@rev/dir."""
        if self.revision is None:
            return self.source
        org, name, *rest = self.source.removeprefix("hf://datasets/").split("/")
        return "hf://datasets/" + "/".join([org, f"{name}@{self.revision}", *rest])
