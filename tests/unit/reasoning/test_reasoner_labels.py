import pytest

from affectlab.reasoning.labels import EKMAN, EKMAN_GROUPS, TO_EKMAN, parse_label, stated_label, to_task
from affectlab.sft.sources import GO_EMOTIONS


def test_ekman_grouping_covers_each_of_the_28_labels_once_and_matches_family_a_classes():
    from affectlab.emotion import EMOTIONS
    assert sorted(TO_EKMAN) == sorted(GO_EMOTIONS) and sum(len(v) for v in EKMAN_GROUPS.values()) == 28
    assert list(EKMAN) == EMOTIONS
    assert to_task("annoyance", "ekman") == "anger" and to_task("annoyance", "go_emotions") == "annoyance"


@pytest.mark.parametrize("reply, label", [
    ("The text says 'mad'.\nEmotion: anger", "anger"),
    ("Emotion: Joy.", "joy"),
    ("emotion:**sadness**", "sadness"),
    ("Emotion: joy\nActually, Emotion: fear", "fear"),      # the last answer counts
    ("It is anger.", None),                                 # no answer line
    ("Emotion: annoyance", None),                           # outside the label set
    ("", None),
])
def test_label_parser(reply, label):
    assert parse_label(reply, EKMAN) == label


def test_stated_label_is_the_last_label_named_before_the_answer():
    assert stated_label('"mad" marks anger, not joy... so anger.\nEmotion: anger', EKMAN) == "anger"
    assert stated_label("Nothing here.\nEmotion: joy", EKMAN) is None


def test_cot_modes_order_the_target_and_split_reply_recovers_the_reasoning_of_each():
    from affectlab.reasoning.labels import compose_target, parse_label, split_reply
    reasoning = 'The words "thrilled" mark joy.'
    targets = {m: compose_target(reasoning, "joy", m) for m in ("none", "rationale_first", "label_first")}
    assert targets == {"none": "Emotion: joy", "rationale_first": reasoning + "\nEmotion: joy",
                       "label_first": "Emotion: joy\n" + reasoning}
    assert {m: parse_label(t, EKMAN) for m, t in targets.items()} == dict.fromkeys(targets, "joy")
    assert {m: split_reply(t) for m, t in targets.items()} == {"none": "", "rationale_first": reasoning,
                                                                 "label_first": reasoning}
