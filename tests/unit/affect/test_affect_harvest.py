"""The mapping file, both transcript formats, dropping what is labeled, and resumable scenario generation."""
from collections import Counter

import pytest

from affectlab.affect.harvest import (drop_known, read_mapping, read_scenarios, synthetic_candidates,
                                      transcript_candidates, utterances)
from affectlab.affect.settings import AffectHarvestSettings
from affectlab.errors import InputError
from affect_fixtures import write_jsonl
from repo_params import settings

MAPPING = """\
goemotions:
  - {labels: [anger], archetype: aggressive_distance, prior: {valence: -0.6, intimacy: -0.4, tension: 0.7}}
  - {labels: [anger, love], archetype: hostile_intimacy}
  - {labels: [love, anger, caring], archetype: hostile_intimacy, prior: {valence: -0.5, intimacy: 0.7, tension: 0.6}}
  - {labels: [fear], archetype: fearful_urgent}
transcript_tags:
  jealousy: hostile_intimacy
  panic: fearful_urgent
"""


def test_the_most_specific_rule_whose_labels_a_row_carries_wins(tmp_path):
    (tmp_path / "m.yaml").write_text(MAPPING)
    m = read_mapping(tmp_path / "m.yaml")
    assert m.match(["anger"]).archetype == "aggressive_distance"
    assert m.match(["love", "anger", "admiration"]).archetype == "hostile_intimacy"
    assert m.match(["caring", "love", "anger"]).prior == {"valence": -0.5, "intimacy": 0.7, "tension": 0.6}
    assert m.match(["joy"]) is None and m.tags == {"jealousy": "hostile_intimacy", "panic": "fearful_urgent"}


@pytest.mark.parametrize("bad, message", [
    ("[anger, rage]", "goemotions[2]: labels: unknown GoEmotions label 'rage'"),
    ("[anger, love], archetype: jealous_lovers", "goemotions[2]: archetype: unknown archetype 'jealous_lovers'"),
])
def test_unknown_labels_or_archetypes_in_the_mapping_are_errors(tmp_path, bad, message):
    text = MAPPING.replace("[anger, love], archetype: hostile_intimacy", bad if "archetype" in bad else f"{bad}, archetype: hostile_intimacy")
    (tmp_path / "m.yaml").write_text(text)
    with pytest.raises(InputError, match=message.replace("[", r"\[").replace("]", r"\]")):
        read_mapping(tmp_path / "m.yaml")


def test_an_unknown_archetype_of_a_transcript_tag_is_an_error(tmp_path):
    (tmp_path / "m.yaml").write_text(MAPPING + "  teasing: banter\n")
    with pytest.raises(InputError, match="transcript_tags.teasing: archetype: unknown archetype 'banter'"):
        read_mapping(tmp_path / "m.yaml")


def test_both_transcript_formats_give_candidates_with_context_and_provenance(tmp_path):
    (tmp_path / "m.yaml").write_text(MAPPING)
    folder = tmp_path / "t"
    write_jsonl(folder / "a.chat.jsonl", [
        {"session_id": "s1", "turn": 0, "role": "user", "text": "hi", "tags": []},
        {"session_id": "s1", "turn": 1, "role": "assistant", "text": "hello", "tags": []},
        {"session_id": "s2", "turn": 0, "role": "user", "text": "other session", "tags": []},
        {"session_id": "s1", "turn": 2, "role": "user", "text": "Who was she?", "tags": ["jealousy", "anger"]}])
    write_jsonl(folder / "b.affect.jsonl", [
        {"ts": "t", "session": "h1", "utterance": "Help, smoke!", "history": ["hey", "hi there"],
         "head": {"valence": -0.4, "intimacy": 0.1, "tension": 1.3}, "tags": ["panic"]},
        {"ts": "t", "session": "h1", "utterance": "thanks", "history": [], "head": {}, "tags": []}])  # no mapped tag
    chat, head = transcript_candidates(folder, read_mapping(tmp_path / "m.yaml"))
    assert chat == {"id": "chat:a.chat.jsonl:4", "text": "Who was she?", "suggested": "hostile_intimacy", "prior": None,
                    "context": [{"role": "user", "text": "hi"}, {"role": "assistant", "text": "hello"}],
                    "source": "manual_chat", "session_id": "s1", "file": "a.chat.jsonl",
                    "tags": ["hostile_intimacy", "jealousy", "anger"]}
    assert head["context"] == [{"role": "user", "text": "hey"}, {"role": "assistant", "text": "hi there"}]
    assert head["prior"] == {"valence": -0.4, "intimacy": 0.1, "tension": 1.0} and head["suggested"] == "fearful_urgent"


def test_a_malformed_transcript_line_is_named(tmp_path):
    (tmp_path / "m.yaml").write_text(MAPPING)
    write_jsonl(tmp_path / "t" / "a.chat.jsonl", [{"session_id": "s1", "turn": "0", "role": "user", "text": "x"}])
    with pytest.raises(InputError, match=r"a.chat.jsonl:1: turn: must be int, got str '0'"):
        transcript_candidates(tmp_path / "t", read_mapping(tmp_path / "m.yaml"))


def test_an_affect_head_line_without_numbers_is_named(tmp_path):
    (tmp_path / "m.yaml").write_text(MAPPING)
    write_jsonl(tmp_path / "t" / "b.affect.jsonl", [{"ts": "t", "session": "h", "utterance": "Help!", "history": [],
                                                     "head": {"valence": "low"}, "tags": ["panic"]}])
    with pytest.raises(InputError, match=r"b.affect.jsonl:1: head: must give numbers for valence, intimacy, tension"):
        transcript_candidates(tmp_path / "t", read_mapping(tmp_path / "m.yaml"))


def test_labeled_and_repeated_candidates_are_dropped_and_counted():
    cands = [{"text": t} for t in ("Who was she?", "who was she", "New one.", "Labeled already!", "")]
    counts = Counter()
    kept = drop_known(cands, ["labeled ALREADY"], counts)
    assert [c["text"] for c in kept] == ["Who was she?", "New one."]
    assert counts == {"dropped.duplicate": 1, "dropped.already_labeled": 1, "dropped.empty": 1}


class FakeBackend:
    name = "fake"

    def __init__(self, fail_at_call=None):
        self.calls, self.fail_at_call = 0, fail_at_call

    def __call__(self, prompts, seed):
        self.calls += 1
        if self.calls == self.fail_at_call:
            raise KeyboardInterrupt
        return [f"1. I am so angry at you {seed % 97} now\n2. ok\n- You never listen to me {i}" for i in range(len(prompts))]


def scenario_folder(tmp_path):
    folder = tmp_path / "scen"
    folder.mkdir()
    for arch in ("flat_numb", "safety_edge"):
        (folder / f"{arch}.yaml").write_text(f"archetype: {arch}\nscenarios:\n" + "".join(
            f"  - id: {arch}_{k}\n    prompt: Write {k}\n" for k in range(3)))
    return read_scenarios(folder)


def test_scenario_generation_resumed_after_a_kill_equals_an_uninterrupted_run(tmp_path):
    p = settings(AffectHarvestSettings, batch_size=2, dialogues_per_scenario=1, min_words=3)
    scenarios = scenario_folder(tmp_path)
    full = synthetic_candidates(p, scenarios, FakeBackend(), tmp_path / "full.jsonl", Counter())
    with pytest.raises(KeyboardInterrupt):
        synthetic_candidates(p, scenarios, FakeBackend(fail_at_call=2), tmp_path / "ck.jsonl", Counter())
    backend = FakeBackend()
    counts = Counter()
    resumed = synthetic_candidates(p, scenarios, backend, tmp_path / "ck.jsonl", counts)
    assert resumed == full and backend.calls == 2  # 3 rounds of 2 prompts; the first came from the checkpoint
    assert len(full) == 12 and counts["synthetic.dropped_lines"] == 6  # "ok" is below min_words
    assert full[1]["context"] == [{"role": "user", "text": full[0]["text"]}] and full[0]["source"] == "synthetic_probe"


def test_utterances_strip_numbering_and_keep_lines_within_the_word_bounds():
    p = settings(AffectHarvestSettings, min_words=2, max_words=5)
    assert utterances('1. "Stop it now"\n* fine\nUser: leave me alone please\nthis line has far too many words in it', p) == \
        ["Stop it now", "leave me alone please"]
