"""Template chains cite only words of their text and end with the gold label; teacher chains pass every
check or fall back (counted); a teacher run resumes from its checkpoint."""
from collections import Counter

import pandas as pd
import pytest

from affectlab.config import load_params
from affectlab.errors import ModelError
from affectlab.reasoning.cot import CueLexicon, template_target, template_targets, teacher_reason, words
from affectlab.reasoning.labels import EKMAN, parse_label, split_reply
from affectlab.reasoning.settings import ReasonerCotSettings
from affectlab.reasoning.teacher import teacher_targets

TRAIN = pd.DataFrame({"text": ["I am furious about the ref", "so furious and angry today", "angry at the bus",
                               "I am so happy today", "happy and glad about it", "glad the game is on",
                               "the game starts at eight", "the store opens at nine"],
                      "label": ["anger"] * 3 + ["joy"] * 3 + ["neutral"] * 2})


def cot_settings(**overrides):
    return load_params(ReasonerCotSettings, overrides=overrides)


def test_cue_words_come_from_the_text_and_are_tied_to_the_gold_label_in_train():
    lex = CueLexicon(TRAIN["text"], TRAIN["label"], prior=0.5, min_count=2)
    assert lex.cues("why is everyone so furious and angry", "anger", 2, 0.5) == ["furious", "angry"] or \
        set(lex.cues("why is everyone so furious and angry", "anger", 2, 0.5)) == {"furious", "angry"}
    assert lex.cues("so happy and glad", "anger", 2, 0.5) == []  # joy words do not cite anger
    assert "the" not in lex.cues("the the game", "neutral", 3, -10)  # function words are never cues


def test_template_targets_end_with_the_gold_label_and_quote_only_words_of_their_text():
    lex = CueLexicon(TRAIN["text"], TRAIN["label"], prior=0.5, min_count=2)
    targets = template_targets(TRAIN, lex, ["anger", "joy", "fear", "joy", "joy", "neutral", "neutral", "joy"],
                               cot_settings(cue_words=2, min_log_odds=0.0))
    assert sum("\"" in t for t in targets) >= 5  # most texts have a cue word
    for text, label, target in zip(TRAIN["text"], TRAIN["label"], targets):
        assert target.splitlines()[-1] == f"Emotion: {label}" and parse_label(target, EKMAN) == label
        quoted = [q for q in split_reply(target).split('"')[1::2]]
        assert all(q in words(text) for q in quoted), (text, target)
        assert not {name for name in EKMAN if name != label} & set(words(split_reply(target)))


def test_template_says_the_scorer_agrees_only_when_it_does():
    assert "scorer agrees" in template_target("so angry", "anger", ["angry"], "anger")
    assert "scorer" not in template_target("so angry", "anger", ["angry"], "joy")
    assert "scorer agrees" in template_target("so annoying", "annoyance", [], "anger")  # 28 labels: by Ekman group


T = cot_settings().teacher
TEXT = "I can't believe they cancelled the show, I'm furious"


@pytest.mark.parametrize("reply, reason", [
    ('The words "I\'m furious" show it.\nEmotion: anger', None),
    ('The words "I\'m furious" show it.', "no_answer_line"),
    ('The words "I\'m furious" show it.\nEmotion: joy', "wrong_label"),
    ('Emotion: joy\nThe words "I\'m furious" show it.\nEmotion: anger', "other_label_answer"),
    ("It shows anger because the person is upset.\nEmotion: anger", "no_quote"),
    ('The words "so very mad" show it.\nEmotion: anger', "quote_not_in_text"),
    ('"furious"\nEmotion: anger', "too_short"),
    ('The words "furious" ' + "and more " * 40 + "\nEmotion: anger", "too_long"),
    ("I'm sorry, as an AI I cannot judge \"furious\" feelings.\nEmotion: anger", "refusal_or_filler"),
])
def test_teacher_chain_checks(reply, reason):
    assert teacher_reason(reply, TEXT, "anger", EKMAN, T) == reason


class FakeTeacher:
    name = "fake"

    def __init__(self, fail_after=None):
        self.calls, self.fail_after, self.seeds = 0, fail_after, []

    def __call__(self, prompts, seed):
        self.calls += 1
        self.seeds.append(seed)
        if self.fail_after is not None and self.calls > self.fail_after:
            raise ModelError("ollama http://127.0.0.1:9: cannot connect (refused)")
        return ['It says "happy" here.\nEmotion: joy' if "happy" in p else "no idea" for p in prompts]


def test_teacher_falls_back_to_the_template_counted_and_resumes_after_a_server_failure(tmp_path):
    rows = pd.DataFrame({"id": [f"r{i}" for i in range(6)], "label": ["joy"] * 6,
                         "text": ["I am so happy now", "meh whatever", "so happy", "fine", "happy happy", "ok"]})
    p = cot_settings(**{"backend": "teacher", "teacher.batch_size": 2, "teacher.min_words": 2,
                        "teacher.checkpoint": str(tmp_path / "teacher.jsonl")})
    with pytest.raises(ModelError, match="cannot connect"):
        teacher_targets(rows, ["T"] * 6, FakeTeacher(fail_after=1), p, EKMAN)
    assert len((tmp_path / "teacher.jsonl").read_text().splitlines()) == 2  # the first batch is kept
    resumed = FakeTeacher()
    targets, origin, reasons = teacher_targets(rows, ["T"] * 6, resumed, p, EKMAN)
    assert resumed.calls == 2  # only the 2 batches left
    uninterrupted = FakeTeacher()
    teacher_targets(rows, ["T"] * 6, uninterrupted, p.model_copy(update={"teacher": p.teacher.model_copy(
        update={"checkpoint": str(tmp_path / "fresh.jsonl")})}), EKMAN)
    assert resumed.seeds == uninterrupted.seeds[1:]  # each batch drew with the seed it has in a whole run
    assert origin == ["teacher", "template", "teacher", "template", "teacher", "template"]
    assert targets[1] == "T" and reasons == Counter({"no_answer_line": 3})


def test_ollama_teacher_that_is_down_is_a_clear_error(tmp_path):
    from affectlab.reasoning.teacher import make_teacher
    p = cot_settings(**{"backend": "teacher", "teacher.source": "ollama:llama3.2:3b",
                        "teacher.ollama_url": "http://127.0.0.1:9", "teacher.timeout": 2,
                        "teacher.checkpoint": str(tmp_path / "t.jsonl")})
    rows = pd.DataFrame({"id": ["a"], "label": ["joy"], "text": ["so happy"]})
    with pytest.raises(ModelError, match="cannot connect"):
        teacher_targets(rows, ["T"], make_teacher(p), p, EKMAN)
