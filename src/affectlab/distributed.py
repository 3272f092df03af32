"""Inference over the processes of `torchrun --nproc_per_node N` / `accelerate launch`: each process runs its
share of the batches, and every process gets all results back in input order.

A share is a contiguous run of whole batches, so each process runs exactly the batches one process would (the
same rows, the same padding): scoring and greedy decoding give byte-identical results in any number of
processes, and only the main process writes outs. One process (plain `python stages/x.py`, what dvc.yaml
runs) goes straight through, without importing accelerate or starting a process group.
"""
from __future__ import annotations

import atexit
import functools
import os
from typing import Callable, Sequence, TypeVar

from affectlab.progress import progress

T = TypeVar("T")
R = TypeVar("R")


def world_size() -> int:
    """Processes started together (torchrun and accelerate launch set WORLD_SIZE)."""
    return int(os.environ.get("WORLD_SIZE", "1"))


@functools.cache
def _state():
    import torch
    import torch.distributed as dist
    from accelerate import PartialState
    # cpu=True where there is no CUDA: accelerate then joins torchrun's processes over gloo (MULTI_CPU);
    # without it each process takes itself for a lone main process (sft/train.py: distributed_state)
    state = PartialState(cpu=not torch.cuda.is_available())
    if dist.is_initialized():
        # a process that exits with its gloo group alive aborted now and then ("terminate called without an
        # active exception", 1 run in 5 of test_inference_sharding), failing the launch after the outs were written
        atexit.register(dist.destroy_process_group)
    return state


def process_index() -> int:
    return _state().process_index if world_size() > 1 else 0


def is_main_process() -> bool:
    return process_index() == 0


def share(n: int, index: int, processes: int) -> range:
    """Contiguous share of `n` batches for process `index` of `processes` (the first ones get one more)."""
    size, extra = divmod(n, processes)
    start = index * size + min(index, extra)
    return range(start, start + size + (index < extra))


def map_batches(fn: Callable[[T], R], batches: Sequence[T], desc: str, unit: str = "batch") -> list[R]:
    """[fn(b) for b in batches], each process computing its share; every process returns the whole list."""
    if world_size() == 1:
        return [fn(b) for b in progress(batches, desc, total=len(batches), unit=unit)]
    import torch.distributed as dist
    state = _state()
    mine = share(len(batches), state.process_index, state.num_processes)
    results = [fn(batches[i]) for i in progress(mine, f"{desc} (process {state.process_index})", unit=unit)]
    gathered: list[list[R] | None] = [None] * state.num_processes
    dist.all_gather_object(gathered, results)  # in process order = input order
    return [r for part in gathered for r in part]
