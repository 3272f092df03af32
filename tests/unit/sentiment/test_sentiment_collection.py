import logging

import pytest

from affectlab.errors import ConfigError, InputError
from affectlab.sentiment import checkpoint_path, generate_sentences, read_topics
from affectlab.sentiment.collection import round_seed
from sentiment_fakes import TOPICS, FakeBackend, make_settings


class Killed(Exception):
    pass


class KillAfter(FakeBackend):
    def __init__(self, rounds):
        super().__init__()
        self.rounds = rounds

    def __call__(self, prompts, seed):
        if self.calls == self.rounds:
            raise Killed()
        return super().__call__(prompts, seed)


def _without_timing(metrics):
    return {k: v for k, v in metrics.items() if k not in ("seconds", "generations_per_s", "resumed_rounds")}


def test_quota_is_met_per_label_and_every_rejection_is_counted(tmp_path):
    fake_backend = FakeBackend()
    rows, m = generate_sentences(make_settings(), TOPICS, fake_backend, tmp_path / "ck.jsonl")
    assert m["accepted.positive"] == m["accepted.negative"] == 10 and len(rows) == 20
    assert m["generated"] == m["accepted"] + m["rejected"] + m["surplus"]
    assert m["rejected"] == sum(m[k] for k in m if k.startswith("rejected."))
    assert m["rejected.empty"] > 0 and m["rejected.too_long"] > 0
    assert m["rejected.vader_disagrees"] > 0 and m["rejected.exact_duplicate"] > 0
    assert 0 < m["vader_agreement"] < 1 and 0 < m["distinct_2"] <= 1
    assert [r["label"] for r in rows] == ["positive"] * 10 + ["negative"] * 10
    assert all(r["vader"] >= 0.05 for r in rows[:10]) and all(r["vader"] <= -0.05 for r in rows[10:])
    assert {r["sub_emotion"] for r in rows[:10]} == {"joy", "pride"} and {r["sub_emotion"] for r in rows[10:]} == {"anger", "fear"}
    assert len({r["topic"] for r in rows}) == len(TOPICS)
    assert set(rows[0]) == {"id", "text", "label", "sub_emotion", "topic", "model", "seed", "vader"}
    assert len({r["text"] for r in rows}) == 20 and rows[0]["model"] == "fake"
    assert fake_backend.seeds == [round_seed(3, r) for r in range(m["rounds"])]


def test_a_run_resumes_after_a_kill_that_truncated_the_checkpoint(tmp_path, caplog):
    settings = make_settings()
    expected_rows, expected_metrics = generate_sentences(settings, TOPICS, FakeBackend(), tmp_path / "a.jsonl")
    checkpoint = tmp_path / "b.jsonl"
    with pytest.raises(Killed):
        generate_sentences(settings, TOPICS, KillAfter(3), checkpoint)
    data = checkpoint.read_bytes()
    assert data.count(b"\n") == 3 * settings.batch_size
    checkpoint.write_bytes(data[:-25])  # the kill cut the last line of round 2 mid-write
    resumed = FakeBackend()
    with caplog.at_level(logging.WARNING):
        rows, metrics = generate_sentences(settings, TOPICS, resumed, checkpoint)
    assert "truncated last line" in caplog.text and "dropping incomplete round 2" in caplog.text
    assert resumed.seeds[0] == round_seed(settings.seed, 2)  # rounds 0 and 1 were not generated again
    assert rows == expected_rows
    assert _without_timing(metrics) == _without_timing(expected_metrics) and metrics["resumed_rounds"] == 2


def test_running_out_of_generations_is_a_clear_error_and_raising_the_limit_resumes(tmp_path):
    tight = make_settings(max_generations=16)
    checkpoint = checkpoint_path(tight, TOPICS, "fake", tmp_path)
    with pytest.raises(ConfigError, match=r"sentiment.max_generations: 16 generations gave only \d+/10 positive"):
        generate_sentences(tight, TOPICS, FakeBackend(), checkpoint)
    loose = tight.replace(max_generations=400)
    assert checkpoint_path(loose, TOPICS, "fake", tmp_path) == checkpoint
    backend = FakeBackend()
    _, m = generate_sentences(loose, TOPICS, backend, checkpoint)
    assert m["resumed_rounds"] == 2 and backend.seeds[0] == round_seed(3, 2) and m["accepted"] == 20


def test_checkpoint_path_changes_with_params_topics_and_model():
    base = checkpoint_path(make_settings(), TOPICS, "m")
    assert checkpoint_path(make_settings(seed=4), TOPICS, "m") != base
    assert checkpoint_path(make_settings(), TOPICS[:2], "m") != base
    assert checkpoint_path(make_settings(), TOPICS, "other") != base


def test_a_checkpoint_from_other_params_is_refused(tmp_path):
    checkpoint = tmp_path / "ck.jsonl"
    with pytest.raises(Killed):
        generate_sentences(make_settings(), TOPICS, KillAfter(1), checkpoint)
    with pytest.raises(InputError, match="round 0 does not match"):
        generate_sentences(make_settings(seed=99), TOPICS, FakeBackend(), checkpoint)


def test_topic_file_skips_comments_and_rejects_repeats(tmp_path):
    path = tmp_path / "topics.txt"
    path.write_text("# comment\nthe garden\n\na train\n")
    assert read_topics(path) == ["the garden", "a train"]
    path.write_text("the garden\na train\nthe garden\n")
    with pytest.raises(InputError, match=r"topics.txt:3: topic 'the garden' repeats line 1"):
        read_topics(path)


def test_bad_settings_name_the_key():
    with pytest.raises(ConfigError, match=r"sentiment.prompt: must contain \{emotion\}"):
        make_settings(prompt="about {topic}")
    with pytest.raises(ConfigError, match="sentiment.sub_emotions"):
        make_settings(sub_emotions={"positive": ["joy"]})


def test_transformers_backend_generates_with_the_tiny_model(tmp_path):
    from affectlab.sentiment import TransformersBackend
    from affectlab.tiny_models import tiny_causal_lm

    model, tok = tiny_causal_lm()
    backend = TransformersBackend(model, tok, make_settings().decoding, batch_size=4, name="tiny")
    replies = backend(["say how the garden fills you with joy ."] * 5, seed=1)
    assert len(replies) == 5 and replies == backend(["say how the garden fills you with joy ."] * 5, seed=1)
