import numpy as np
import pytest

from affectlab.probes.decision import balanced_accuracy, calibrate_thresholds, combine


def test_a_layer_already_separated_at_one_half_keeps_one_half():
    y = np.array([0, 0, 1, 1])
    assert calibrate_thresholds(y, np.array([[0.1, 0.3, 0.7, 0.9]])).tolist() == [0.5]


def test_a_shifted_layer_gets_the_threshold_that_maximises_balanced_accuracy():
    # every probability is above 0.5: at 0.5 all rows are called positive (balanced accuracy 0.5)
    y = np.array([0, 0, 0, 1, 1])
    p = np.array([[0.60, 0.62, 0.64, 0.80, 0.90]])
    t = calibrate_thresholds(y, p)
    assert t[0] == pytest.approx(0.72)  # the midpoint between the highest negative and the lowest positive
    assert balanced_accuracy(y, p[0] >= t[0]) == 1.0 and balanced_accuracy(y, p[0] >= 0.5) == 0.5


def test_balanced_accuracy_does_not_reward_calling_everything_the_larger_class():
    y = np.array([0] * 9 + [1])
    # one positive scored below most negatives: the best rule still separates what it can, not "all 0"
    p = np.array([[0.1, 0.2, 0.3, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.42]])
    t = calibrate_thresholds(y, p)[0]
    assert balanced_accuracy(y, p[0] >= t) > 0.5 and (p[0] >= t).sum() > 0


def test_vote_is_the_majority_of_calibrated_decisions_and_a_tie_goes_to_the_mean():
    prob = np.array([[0.9, 0.2, 0.6], [0.4, 0.3, 0.6], [0.8, 0.1, 0.1]])
    thresholds = np.array([0.5, 0.35, 0.5])
    _, vote = combine(prob, thresholds, "vote")
    assert vote.tolist() == [True, False, True]   # layer votes: (1,1,1), (0,0,0), (1,1,0)
    score, mean = combine(prob, thresholds, "mean")
    np.testing.assert_allclose(score, prob.mean(0))
    assert mean.tolist() == (prob.mean(0) >= thresholds.mean()).tolist() == [True, False, False]
    _, tie = combine(prob[:2, :1], np.array([0.5, 0.5]), "vote")  # one for, one against: mean 0.65 >= 0.5
    assert tie.tolist() == [True]
