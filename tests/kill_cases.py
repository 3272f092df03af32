"""Every stage of dvc.yaml in one of two classes, shared by the reliability tests: a kill-and-resume case
(tests/pipeline/test_fault_injection.py kills it after a checkpoint, resumes it, and compares its outs with the
template's smoke run byte for byte) or NOT_CHECKPOINTED with the reason it needs none (a kill re-runs it whole;
tests/pipeline/test_same_answer_twice.py re-runs these with `-f` and compares the same way).
"""
from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Case:
    stage: str
    kill_at: str       # a line of the stage's log printed once its first checkpoint is on disk (regex)
    resumed: str       # the line the second run must print: where it resumed from (regex)


CASES = [
    # one fsync'd checkpoint append per generation round, logged after the append
    Case("generate_sentiment", r"round 0: \d+ replies checkpointed", r"resumed [1-9]\d* rounds \(\d+ generations\)"),
    # save_checkpoint logs after atomic_dir has renamed the checkpoint folder into place (smoke: 24 steps)
    # one fsync'd append per teacher batch, logged after it (smoke: 32 prompts in batches of 8)
    Case("safety_teacher", r"safety teacher: batch 0: \d+ prompts checkpointed",
         r"safety teacher: resuming, \d+ of 32 prompts already scored"),
    Case("train_sft", r"checkpoint at step 12 ", r"resuming from checkpoints/sft at step 12"),
    # the export's summary line of a prompt set comes after its last batch was appended and fsync'd
    Case("export_eval_base", r"export base/eqbench: \d+ responses",
         r"base/eqbench: resuming, (\d+) of \1 prompts already answered"),
    Case("export_eval_sft", r"export sft/eqbench: \d+ responses",
         r"sft/eqbench: resuming, (\d+) of \1 prompts already answered"),
    # upstream cases before downstream ones: a case's upstream repro must not have run the stage already (an
    # up-to-date stage is skipped, never killed): export_eval_dpo's upstream includes the two DPO stages
    # one fsync'd append per sampling batch, logged after it; the smoke run samples 2 batches per split
    Case("build_dpo_pairs", r"dpo pairs train: batch 0: \d+ replies checkpointed",
         r"dpo pairs train: resuming, 3 of 6 replies already sampled"),
    # the Trainer's on_save callback runs after the checkpoint folder is complete (smoke: 4 steps, every 2)
    Case("train_dpo", r"DPO checkpoint at step 2 ", r"resuming DPO from \S+checkpoint-2 \(step 2 of 4\)"),
    Case("export_eval_dpo", r"export dpo/eqbench: \d+ responses",
         r"dpo/eqbench: resuming, (\d+) of \1 prompts already answered"),
    Case("train_reasoner", r"checkpoint at step 2 ", r"resuming from checkpoints/reasoner at step 2"),
    Case("harvest_affect", r"round 0: \d+ replies checkpointed", r"resumed [1-9]\d* generation rounds"),
    Case("train_affect", r"checkpoint at step 2 ", r"resuming from checkpoints/affect at step 2"),
]
# Stages with no checkpoint: a kill re-runs them whole (their outs are atomic, so nothing partial is left).
# Measured on the embedded default (logs/*.json); each is seconds, or one pass that cannot be cut in two.
NOT_CHECKPOINTED = {
    "prepare_model": "one conversion and save (~25 s)",
    "sample_sft": "reads footers and the drawn row groups (seconds)",
    "score_emotions": "scores ~2,000 texts in ~1 s",
    "report_emotions": "tables and charts (seconds)",
    "capture_activations": "one forward pass per batch (~20 s at the embedded default)",
    "capture_activations_sft": "one forward pass per batch (~20 s at the embedded default)",
    "train_probes": "all layers as one batched program (~4 s)",
    "train_probes_sft": "all layers as one batched program (~4 s)",
    "prepare_probe_model": "one conversion and save of the second architecture (~45 s)",
    "capture_activations_second": "one forward pass per batch (~11 s at the embedded default)",
    "train_probes_second": "all layers as one batched program (~8 s)",
    "prepare_sft_data": "tokenises the mirrors (seconds)",
    "report_eval": "tables and charts (seconds)",
    "clean_goemotions": "cleans the mirror (~8 s)",
    "build_cot": "the template backend takes seconds; the teacher backend checkpoints (unit-tested)",
    "evaluate_reasoner": "one pass over the test rows (~70 s); a kill re-runs it whole",
    "build_affect": "merges and validates the label files (seconds)",
    "export_affect_gguf": "writes the GGUF files into a temporary folder renamed at the end (atomic_dir), then "
                          "reads them back; a kill re-runs it whole (~1-2 min)",
}
