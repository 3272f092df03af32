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
