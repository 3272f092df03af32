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
