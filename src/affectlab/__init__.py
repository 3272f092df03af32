"""affectlab: emotion and affect in language models and their training data."""
import os

# Set before torch loads OpenMP (every stage imports affectlab first). When other processes want the CPU,
# OpenMP's default spin-waiting collapses throughput: measured on 2 shared cores, greedy generation of
# 8 x 32 tokens took 133 s with 2 threads vs 4.1 s with passive waiting, and a training step 30 s vs 8 s.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
# MKL (torch's CPU BLAS) otherwise splits a matrix product by thread count and batch shape, so the same
# stage gave other bytes under another thread count (export_eval sft: EQ-Bench replies differed between 1 and
# 2 threads) and a row answered alone differed from the same row in a batch. Strict CNR mode makes both
# bitwise equal (tests/unit/test_numerics.py); measured cost on export_eval sft: 15.7/15.1 s without, 16.3/15.2 s
# with. It changes outputs, so every stage lists this file as a dep.
os.environ.setdefault("MKL_CBWR", "AUTO,STRICT")

# peft 0.21.2 (the newest) reads transformers' deprecated `is_gradient_checkpointing` whenever it wraps a
# model; we never do. Only that message is hidden, so any other FutureWarning still shows in a stage's log
# (and fails the unit tests, which turn FutureWarning into an error and repeat this one exception).
import warnings  # noqa: E402

warnings.filterwarnings("ignore", message="`is_gradient_checkpointing` is deprecated", category=FutureWarning)
