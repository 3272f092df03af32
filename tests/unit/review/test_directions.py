from affectlab.review.directions import HIGHER, LOWER, direction, verdict


def test_known_metrics_have_a_direction_and_the_rest_none():
    assert direction("probes", "best.test.auc_roc") == HIGHER
    assert direction("sft_train", "loss.validation.lm") == LOWER
    assert direction("eval", "redteam.sft.refusal_rate") == HIGHER
    assert direction("sft_emotions", "truncated.think") == LOWER
    assert direction("sft_emotions", "mean.response.joy") is None      # an emotion mean has no better side
    assert direction("probes", "shuffled.test.auc_roc_max") is None    # a control, not a result
    assert direction("sft_train", "truncated.train") is None           # the pattern is keyed by file too


def test_verdict_follows_direction_and_sign():
    assert verdict(HIGHER, 0.1) == "better" and verdict(HIGHER, -0.1) == "worse"
    assert verdict(LOWER, -2) == "better" and verdict(LOWER, 46) == "worse"
    assert verdict(None, 0.5) == "" and verdict(HIGHER, 0.0) == "" and verdict(HIGHER, None) == ""


def test_every_family_has_directions_and_its_baselines_none():
    assert direction("reasoner_eval", "test_untouched.reasoner.macro_f1") == HIGHER
    assert direction("reasoner_eval", "natural.reasoner_calibrated.ekman_accuracy") == HIGHER
    assert direction("reasoner_eval", "test_clean.reasoner.parse_failure_rate") == LOWER
    assert direction("reasoner_eval", "test_untouched.minilm_logreg.macro_f1") is None
    assert direction("reasoner_eval", "natural.zero_shot_base.macro_f1") is None
    assert direction("reasoner_eval", "test_untouched.reasoner.macro_f1_ci_low") is None
    assert direction("affect_train", "mae.lora.valence") == LOWER and direction("affect_train", "r.ridge.tension") == HIGHER
    assert direction("affect_train", "mae.constant_mean.valence") is None
    assert direction("affect_train", "r.vader.valence") is None and direction("affect_train", "rows.train") is None
    assert direction("probes", "heldout.negation.val_layer_auc_roc") == HIGHER
    assert direction("probes", "heldout.implicit.vader_auc_roc") is None
    assert direction("probes", "heldout.negation.bow_pair_accuracy") is None
    # the SFT-model probes nest their keys under the file's name and share family B's rules
    assert direction("probes_sft", "probes_sft.heldout.contrast.best_auc_roc") == HIGHER
    assert direction("probes_sft", "probes_sft.shuffled.test.auc_roc_max") is None


def test_eqbench_baselines_have_no_direction_but_the_models_do():
    assert direction("eval", "eqbench.constant.score") is None
    assert direction("eval", "eqbench.random.score") is None
    assert direction("eval", "eqbench.sft.score") == HIGHER
