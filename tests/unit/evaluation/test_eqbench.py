import math

import pytest

from affectlab.errors import InputError
from affectlab.evaluation.eqbench import (constant_baseline, parse_ratings, parse_reference, question_score,
                                          random_baseline, score_answers, score_ratings)

REF_TEXT = "{'emotion1': 'Hurt', 'emotion1_score': 6, 'emotion2': 'Excited', 'emotion2_score': 3, " \
           "'emotion3': 'Conflicted', 'emotion3_score': 7, 'emotion4': 'Relieved', 'emotion4_score': 0}"
REF = {"Hurt": 6.0, "Excited": 3.0, "Conflicted": 7.0, "Relieved": 0.0}


def test_reference_dict_is_parsed_from_the_hub_repr():
    assert parse_reference(REF_TEXT) == REF
    with pytest.raises(InputError, match="row 3: reference answer is not an EQ-Bench v2 dict"):
        parse_reference("{'emotion1': 'Hurt'}", "row 3")


def test_exact_answer_scores_ten():
    assert question_score(dict(REF), REF) == 10


def test_score_matches_the_hand_computed_official_formula():
    # d = 2, 0, 5, 7 -> 6.5/(1+e^2.4) + 0 + 6.5/(1+e^-1.2) + 7 = 0.54062 + 4.99541 + 7 = 12.53604
    # 10 - 0.7477 * 12.53604 = 0.62681
    ratings = {"Hurt": 8, "Excited": 3, "Conflicted": 2, "Relieved": 7}
    assert question_score(ratings, REF) == pytest.approx(0.626808, abs=1e-5)
    # off by one everywhere: 10 - 0.7477 * 4 * 6.5/(1+e^3.6) = 9.48295
    assert question_score({k: v + 1 for k, v in REF.items()}, REF) == pytest.approx(9.482949, abs=1e-5)


def test_ratings_are_read_from_formatted_answers_case_insensitively():
    answer = "Sure!\n**Hurt**: 8\nexcited: 3\n- Conflicted: 2\nRelieved: 7.0\nHurt: 1\n[End of answer]"
    assert parse_ratings(answer, REF) == {"Hurt": 8, "Excited": 3, "Conflicted": 2, "Relieved": 7}


@pytest.mark.parametrize("answer", [
    "Hurt: 8\nExcited: 3\nConflicted: 2",                   # one emotion missing
    "Hurt: 8\nExcited: 3\nConflicted: 2\nRelieved: 11",     # out of range
    "I think Maya feels hurt and conflicted.",              # no numbers
    "",
])
def test_unparsable_answers_are_none(answer):
    assert parse_ratings(answer, REF) is None


def test_benchmark_is_100_times_mean_over_parsed_and_counts_failures():
    answers = ["Hurt: 6\nExcited: 3\nConflicted: 7\nRelieved: 0",
               "Hurt: 8\nExcited: 3\nConflicted: 2\nRelieved: 7",
               "no idea"]
    result = score_answers(answers, [REF] * 3)
    assert result["questions"] == 3 and result["parsed"] == 2 and result["unparsable"] == 1
    assert result["score"] == pytest.approx(100 * ((10 + 0.626808) / 2) / 10, abs=1e-4)
    assert math.isnan(score_answers(["none"], [REF])["score"])


def test_ratings_are_scored_for_every_question():
    result = score_ratings([dict(REF), {"Hurt": 8, "Excited": 3, "Conflicted": 2, "Relieved": 7}], [REF, REF])
    assert result == {"score": pytest.approx(100 * ((10 + 0.626808) / 2) / 10, abs=1e-4), "questions": 2,
                      "parsed": 2, "unparsable": 0}
    assert constant_baseline([REF], 6.0)["score"] == score_ratings([{e: 6.0 for e in REF}], [REF])["score"]


def test_random_answers_score_near_zero_and_are_seeded():
    # the 0.7477 factor was fitted so that random answers score ~0 (Paech 2023)
    refs = [REF, {"A": 2.0, "B": 8.0, "C": 5.0, "D": 0.0}, {"A": 9.0, "B": 1.0, "C": 4.0, "D": 6.0}]
    result = random_baseline(refs, draws=2000, seed=1)
    assert result == random_baseline(refs, draws=2000, seed=1)
    assert abs(result["score"]) < 15 and result["ci_low"] < result["score"] < result["ci_high"]
    assert result["parsed"] == 3 and result["unparsable"] == 0
