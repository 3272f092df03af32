import numpy as np
import pytest


from affectlab.emotion import EMOTIONS, EmotionSettings, make_scorer, plutchik_to_emotions
from affectlab.errors import ConfigError, ModelError
from repo_params import settings as repo_settings

J_HARTMANN = ["anger", "disgust", "fear", "joy", "neutral", "sadness", "surprise"]


def test_plutchik_mapping_drops_trust_and_anticipation_and_derives_neutral_from_the_threshold():
    raw = {"anger": [0.1, 0.0], "anticipation": [0.9, 0.9], "disgust": [0.0, 0.0], "fear": [0.0, 0.0],
           "joy": [0.6, 0.1], "sadness": [0.1, 0.0], "surprise": [0.0, 0.0], "trust": [0.9, 0.9]}
    out = plutchik_to_emotions(raw, neutral_threshold=0.5)
    # row 0: strongest 0.6 >= threshold -> no neutral; row 1: neutral = 0.5 - 0.1 = 0.4
    assert out[0] == pytest.approx(np.array([0.1, 0, 0, 0.6, 0, 0.1, 0]) / 0.8)
    assert out[1] == pytest.approx(np.array([0, 0, 0, 0.1, 0.4, 0, 0]) / 0.5)
    assert plutchik_to_emotions({k: [0.0] for k in raw}, 0.0)[0].tolist() == [0, 0, 0, 0, 1, 0, 0]


@pytest.fixture(scope="module")
def nade_scorer():
    return make_scorer(repo_settings(EmotionSettings, backend="nade", neutral_threshold=0.5, batch_size=8))


def test_nade_scores_sum_to_one_follow_the_text_and_blank_text_gives_nan_and_a_flag(nade_scorer):
    out = nade_scorer.score(["Thank you so much, I really appreciate it, this is wonderful!", "", "   ",
                             "I'm sorry, but I can't help with that."])
    assert list(out.columns[:7]) == EMOTIONS and out["empty"].tolist() == [False, True, True, False]
    assert out.loc[[1, 2], EMOTIONS].isna().all().all()
    assert out.loc[[0, 3], EMOTIONS].sum(axis=1).to_numpy() == pytest.approx([1, 1])
    assert out.loc[0, EMOTIONS].astype(float).idxmax() == "joy" and out.loc[0, "joy"] > 0.4
    assert out.loc[3, "sadness"] > out.loc[0, "sadness"]


def test_nade_chunk_averages_windows_by_length_while_truncate_keeps_the_first_window(nade_scorer):
    calm = "the meeting is at noon in the small room " * 2  # 18 words
    sad = "I feel so sad and lonely and heartbroken today"  # 9 words
    text = calm + sad
    s = lambda **kw: make_scorer(repo_settings(EmotionSettings, backend="nade", neutral_threshold=0.5, max_length=18, **kw))
    truncate, chunk = s(long_text="truncate").score([text]), s(long_text="chunk").score([text])
    parts = s(long_text="truncate").score([calm.strip(), sad])
    assert bool(truncate.loc[0, "truncated"]) and truncate.loc[0, "windows"] == 1 and chunk.loc[0, "windows"] == 2
    assert truncate.loc[0, EMOTIONS].to_numpy(float) == pytest.approx(parts.loc[0, EMOTIONS].to_numpy(float))
    expected = (18 * parts.loc[0, EMOTIONS].to_numpy(float) + 9 * parts.loc[1, EMOTIONS].to_numpy(float)) / 27
    assert chunk.loc[0, EMOTIONS].to_numpy(float) == pytest.approx(expected)
    assert chunk.loc[0, "sadness"] > truncate.loc[0, "sadness"]


@pytest.fixture(scope="module")
def tiny_classifier(tmp_path_factory):
    """A random 7-label classifier with the j-hartmann label names, saved like a hub model folder."""
    import torch
    from transformers import DistilBertConfig, DistilBertForSequenceClassification

    from affectlab.tiny_models import tiny_tokenizer

    tok = tiny_tokenizer()
    config = DistilBertConfig(vocab_size=len(tok), dim=32, n_layers=1, n_heads=2, hidden_dim=64,
                              max_position_embeddings=64, pad_token_id=tok.pad_token_id,
                              id2label=dict(enumerate(J_HARTMANN)), label2id={k: i for i, k in enumerate(J_HARTMANN)})
    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("emotion-model")
    DistilBertForSequenceClassification(config).save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder


def hf(folder, **kw):
    return make_scorer(repo_settings(EmotionSettings, backend="hf", model=str(folder), **{"batch_size": 2, **kw}))


def test_hf_backend_loads_a_local_folder_and_scores_all_seven_classes(tiny_classifier):
    texts = ["i am so happy today", "", "the meeting is at noon in the small room", "i feel sad"]
    out = hf(tiny_classifier).score(texts)
    assert out["empty"].tolist() == [False, True, False, False] and out.loc[1, EMOTIONS].isna().all()
    assert out.loc[[0, 2, 3], EMOTIONS].sum(axis=1).to_numpy() == pytest.approx([1, 1, 1])
    # length-sorted padded batches give the same scores as one text at a time
    alone = np.vstack([hf(tiny_classifier).score([t]).loc[0, EMOTIONS].to_numpy(float) for t in texts[2:]])
    assert out.loc[[2, 3], EMOTIONS].to_numpy(float) == pytest.approx(alone, abs=1e-5)
    assert not np.allclose(alone[0], alone[1])  # a real forward pass, not a constant


def test_hf_chunk_and_truncate_differ_on_text_longer_than_max_length(tiny_classifier):
    words = ("i am so happy and grateful for your help today . " * 3).split()
    tail = ("i feel sad and lonely since my friend moved away . " * 2).split()
    text = " ".join(words + tail)  # 33 + 22 tokens for the word-level tokenizer
    truncate = hf(tiny_classifier, max_length=33, long_text="truncate").score([text])
    chunk = hf(tiny_classifier, max_length=33, long_text="chunk").score([text])
    head = hf(tiny_classifier, max_length=33).score([" ".join(words)])
    rest = hf(tiny_classifier, max_length=33).score([" ".join(tail)])
    assert truncate.loc[0, "truncated"] and (truncate.loc[0, "windows"], chunk.loc[0, "windows"]) == (1, 2)
    assert truncate.loc[0, EMOTIONS].to_numpy(float) == pytest.approx(head.loc[0, EMOTIONS].to_numpy(float), abs=1e-5)
    expected = (33 * head.loc[0, EMOTIONS].to_numpy(float) + 22 * rest.loc[0, EMOTIONS].to_numpy(float)) / 55
    assert chunk.loc[0, EMOTIONS].to_numpy(float) == pytest.approx(expected, abs=1e-5)


def test_hf_model_without_the_seven_labels_is_a_model_error(tmp_path):
    from transformers import DistilBertConfig, DistilBertForSequenceClassification

    from affectlab.tiny_models import tiny_tokenizer

    tok = tiny_tokenizer()
    cfg = DistilBertConfig(vocab_size=len(tok), dim=16, n_layers=1, n_heads=2, hidden_dim=32, num_labels=2,
                           id2label={0: "positive", 1: "negative"}, label2id={"positive": 0, "negative": 1})
    DistilBertForSequenceClassification(cfg).save_pretrained(tmp_path)
    tok.save_pretrained(tmp_path)
    with pytest.raises(ModelError, match=r"lack \['anger', 'disgust'"):
        hf(tmp_path)


def test_unknown_backend_is_a_config_error_naming_the_key():
    with pytest.raises(ConfigError, match=r"emotion.backend: input should be 'nade' or 'hf', got str 'vader'"):
        repo_settings(EmotionSettings, backend="vader")
