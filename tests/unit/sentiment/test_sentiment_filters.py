import numpy as np
import pytest

from affectlab.sentiment.filters import DuplicateIndex, MiniLM, clean_reply, distinct_n, normalize, shape_reason
from affectlab.sentiment.settings import SentimentSettings
from repo_params import settings

F = settings(SentimentSettings, {"filters.min_words": 3, "filters.max_words": 8, "filters.near_duplicate": "normalized"}).filters


def test_clean_reply_keeps_the_first_line_without_quotes_or_list_markers():
    assert clean_reply('\n  "I love this garden."\nSecond line') == "I love this garden."
    assert clean_reply("1. I am glad.") == "I am glad."
    assert clean_reply("   \n  ") == ""


@pytest.mark.parametrize("text,reason", [
    ("", "empty"), ("I am.", "too_short"), ("I am so very happy about all the things today.", "too_long"),
    ("I am so happy about", "unfinished"), ("I am so happy!", None), ('I feel "proud."', None)])
def test_shape_reasons(text, reason):
    assert shape_reason(text, F) == reason


def test_exact_and_normalized_duplicates_are_told_apart():
    index = DuplicateIndex(F)
    [k1, k2, k3, k4] = index.prepare(["I am happy.", "I am happy.", "i AM happy!!", "I am sad."])
    assert index.reason(k1) is None
    index.add(k1)
    assert [index.reason(k) for k in (k2, k3, k4)] == ["exact_duplicate", "near_duplicate", None]
    assert normalize("I'm SO happy!!") == "i m so happy"


def test_minilm_near_duplicates_use_the_cosine_threshold():
    vectors = {"a": [1.0, 0.0], "b": [0.95, np.sqrt(1 - 0.95 ** 2)], "c": [0.0, 1.0]}
    embed = lambda texts: np.array([vectors[t] for t in texts], dtype=np.float32)  # noqa: E731
    index = DuplicateIndex(F.replace(near_duplicate="minilm", near_duplicate_threshold=0.9), embed)
    ka, kb, kc = index.prepare(["a", "b", "c"])
    index.add(ka)
    assert index.reason(kb) == "near_duplicate" and index.reason(kc) is None
    index.add(kc)
    [kb2] = index.prepare(["b"])  # a later round: earlier rows are folded into the matrix
    assert index.reason(kb2) == "near_duplicate"


def test_packaged_minilm_loads_offline_and_scores_paraphrases_above_unrelated_text():
    vecs = MiniLM()(["I am so happy today.", "I am very happy today.", "The train was delayed by snow."])
    assert vecs.shape == (3, 384) and np.allclose(np.linalg.norm(vecs, axis=1), 1, atol=1e-4)
    assert vecs[0] @ vecs[1] > 0.9 > 0.5 > vecs[0] @ vecs[2]


def test_distinct_n_counts_unique_ngrams_over_all_ngrams():
    assert distinct_n(["a b a b", "a c"], 1) == pytest.approx(3 / 6)
    assert distinct_n(["a b a b", "a c"], 2) == pytest.approx(3 / 4)
    assert distinct_n([], 2) == 0.0
