"""Stratified sampling of a huge source-sorted SFT parquet dataset from its metadata (family A)."""
from affectlab.sampling.allocation import SourceAllocation, allocate
from affectlab.sampling.index import Dataset, open_dataset
from affectlab.sampling.sample import COLUMNS, sample_sft
from affectlab.sampling.settings import AuditSampleSettings
from affectlab.sampling.turns import ThinkSplit, assistant_turns, split_think

__all__ = ["COLUMNS", "Dataset", "AuditSampleSettings", "SourceAllocation", "ThinkSplit", "allocate", "assistant_turns",
           "open_dataset", "sample_sft", "split_think"]
