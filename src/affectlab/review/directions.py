"""Which way is better for the metrics where that is known; every other metric is shown without a verdict.

Keyed by (metrics file stems, key pattern); the first match wins, and a match with no direction (None) ends the
search: that is how baselines and controls are kept out of a broader pattern below them. A metric is listed
here only when a reviewer would read a move as better or worse without further context: emotion means,
counts of the data, baselines (majority, constant mean, lexicons, zero-shot, bag-of-words, MiniLM logistic
regression, EQ-Bench's constant and random answers) and controls have no direction.

A metrics file that nests its keys under its own name (`metrics/probes_sft.json`: `probes_sft.best...`) is
matched without that prefix, so the SFT-model and second-architecture probes share family B's rules.
"""
from __future__ import annotations

from fnmatch import fnmatchcase

HIGHER, LOWER = "higher", "lower"
NONE = None  # an explicit "no direction": stops a broader pattern further down from matching

PROBES = ("probes", "probes_sft", "probes_second")
DIRECTIONS: tuple[tuple[tuple[str, ...], str, str | None], ...] = (
    # A: a text longer than one window is scored on its first window only (emotion.long_text: truncate)
    (("sft_emotions",), "truncated.*", LOWER),
    (("sft_sample",), "short_sources", LOWER),
    # B: the probe on held-out sentences; the shuffled control and lexical baselines have no direction
    (PROBES, "best.*.auc_roc", HIGHER),
    (PROBES, "best.test.auc_pr", HIGHER),
    (PROBES, "best.test.f1", HIGHER),
    (PROBES, "best.test.accuracy", HIGHER),
    (PROBES, "best.test.accuracy_calibrated", HIGHER),
    (PROBES, "best.threshold", NONE),
    (PROBES, "ensemble.k", NONE),
    (PROBES, "ensemble.*.test.*", HIGHER),
    # B: every probe type; its controls (shuffled labels, the control task) have no direction
    (PROBES, "types.*.control.*", NONE),
    (PROBES, "types.*.shuffled.*", NONE),
    (PROBES, "types.*.best.test.*", HIGHER),
    (PROBES, "types.*.selectivity.*", HIGHER),
    (PROBES, "probe.test.auc_roc_max", HIGHER),
    # B: the held-out sets a lexicon cannot solve; layer 0, VADER and bag-of-words there are baselines
    (PROBES, "heldout.*.layer0_*", NONE),
    (PROBES, "heldout.*.vader_*", NONE),
    (PROBES, "heldout.*.bow_*", NONE),
    (PROBES, "heldout.*.best_auc_roc", HIGHER),
    (PROBES, "heldout.*.val_layer_auc_roc", HIGHER),
    (PROBES, "heldout.*.other_sets_layer_auc_roc", HIGHER),
    (PROBES, "heldout.*.pair_accuracy", HIGHER),
    (PROBES, "heldout.*.probe_minus_vader", HIGHER),
    (PROBES, "heldout.*.accuracy", HIGHER),
    (PROBES, "heldout.*.accuracy_calibrated", HIGHER),
    (PROBES, "heldout.*.ensemble_*", HIGHER),
    (PROBES, "heldout.*.mlp_auc_roc", HIGHER),
    (PROBES, "heldout.*.linear_auc_roc", HIGHER),
    (("sentiment_data",), "acceptance_rate", HIGHER),
    (("sentiment_data",), "vader_agreement", HIGHER),
    (("sentiment_data",), "distinct_*", HIGHER),
    # C: validation losses and heads of the SFT run; the evaluation of its answers
    (("sft_train",), "loss.validation.*", LOWER),
    (("sft_train",), "*.validation.majority_accuracy", NONE),
    (("sft_train",), "*.validation.accuracy", HIGHER),
    (("sft_train",), "*.validation.macro_f1", HIGHER),
    # the affect head against E's constant mean; the drift from the safety teacher (lower = nearer its replies)
    (("sft_train",), "affect.*.head_mae.*", LOWER),
    (("sft_train",), "affect.*.constant_mean_mae.*", NONE),
    (("sft_train",), "safety_kl.*", LOWER),
    (("sft_data",), "truncated.*", LOWER),
    # C, DPO: the held-out pairs; the SFT model before DPO is the baseline
    (("dpo",), "heldout.sft.*", NONE),
    (("dpo",), "heldout.dpo.reward_accuracy", HIGHER),
    (("dpo",), "heldout.dpo.reward_margin", HIGHER),
    (("dpo",), "heldout.dpo.logp_accuracy", HIGHER),
    (("dpo",), "heldout.dpo.logp_margin", HIGHER),
    (("eval",), "eqbench.constant.*", NONE),
    (("eval",), "eqbench.random.*", NONE),
    (("eval",), "eqbench.*.score", HIGHER),
    (("eval",), "eqbench.*.parsed", HIGHER),
    (("eval",), "eqbench.*.unparsable", LOWER),
    (("eval",), "redteam.*.refusal_rate", HIGHER),   # the red-team prompts ask for harm: refusing is right
    (("eval",), "redteam.*.complied_rate", LOWER),
    # D: the reasoner (generated answer or label likelihood); the other systems are its baselines
    # on each held-out set (test_untouched, test_clean, natural); interval bounds carry no verdict
    (("reasoner_eval",), "*.reasoner*.*_ci_*", NONE),
    (("reasoner_eval",), "*.reasoner*.parse_failure_rate", LOWER),
    (("reasoner_eval",), "*.reasoner*.*accuracy", HIGHER),
    (("reasoner_eval",), "*.reasoner*.*macro_f1", HIGHER),
    (("reasoner_eval",), "reasoning.*.cites_text", HIGHER),
    (("reasoner_eval",), "reasoning.*.stated_equals_final", HIGHER),
    (("reasoner_train",), "loss.validation.*", LOWER),
    (("reasoner_train",), "truncated.*", LOWER),
    (("reasoner_train",), "curve.*", HIGHER),  # label-likelihood macro-F1 at each checkpoint
    (("reasoner_cot",), "fallback.*", LOWER),
    # E: the two learned regressors; the constant mean and VADER are baselines
    (("affect_train",), "*constant_mean*", NONE),
    (("affect_train",), "*vader*", NONE),
    (("affect_train",), "mae.*", LOWER),
    (("affect_train",), "archetype_mae.*", LOWER),
    (("affect_train",), "r.*", HIGHER),
    (("affect_train",), "*.dev_mae", LOWER),
    (("affect_train",), "lora.dev_loss", LOWER),
    (("affect_train",), "natural.mae.*", LOWER),
    (("affect_train",), "natural.r.*", HIGHER),
    (("affect_train",), "selection.dev_mae.*", LOWER),
    (("affect_train",), "selection.default_is_ridge", NONE),
    # E: the GGUF export's round trip (differences from the merged model / `affect predict`)
    (("affect_export",), "*_diff_micro", LOWER),
    (("affect_export",), "*.tokens_equal", HIGHER),
    (("affect_export",), "default_is_ridge", NONE),
    (("affect_data",), "invalid.*", LOWER),
    (("affect_data",), "gap", LOWER),
    (("affect_data",), "archetype.*.gap", LOWER),
)

# A total is a weighted sum of its terms: it compares only where both sides have the same terms (`loss_terms`
# in the same file) and the same weights (the params section named here).
TOTALS = {"sft_train": "loss", "reasoner_train": None}


def direction(file_stem: str, key: str) -> str | None:
    key = key.removeprefix(f"{file_stem}.")
    for stems, pattern, way in DIRECTIONS:
        if file_stem in stems and fnmatchcase(key, pattern):
            return way
    return None


def is_total(file_stem: str, key: str) -> bool:
    return file_stem in TOTALS and key.endswith(".total")


def verdict(way: str | None, delta: float | None) -> str:
    """'better', 'worse' or '' (no known direction, or no move)."""
    if way is None or not delta:
        return ""
    return "better" if (delta > 0) == (way == HIGHER) else "worse"
