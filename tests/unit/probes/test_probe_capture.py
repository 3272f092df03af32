
import h5py
import numpy as np
import pytest
import torch

from affectlab.errors import InputError
from affectlab.probes.capture import pool, pooled_batches, write_activations
from affectlab.probes.dataset import read_activations, read_sentences, stratified_split
from affectlab.probes.settings import ProbeCaptureSettings, ProbeSplit
from affectlab.tiny_models import tiny_causal_lm
from probe_fixtures import sentence_rows
from repo_params import settings

S = settings(ProbeCaptureSettings, batch_size=4, dtype="float32")


@pytest.fixture(scope="module")
def tiny():
    return tiny_causal_lm(layers=3, hidden=32)


def test_pooling_uses_only_real_tokens_on_either_padding_side():
    h = torch.arange(2 * 4 * 1, dtype=torch.float32).reshape(2, 4, 1)  # token values 0..3 and 4..7
    right = torch.tensor([[1, 1, 1, 0], [1, 1, 1, 1]])
    left = torch.tensor([[0, 1, 1, 1], [1, 1, 1, 1]])
    assert pool([h], right, "mean")[0, :, 0].tolist() == [1.0, 5.5]
    assert pool([h], right, "last")[0, :, 0].tolist() == [2.0, 7.0]
    assert pool([h], right, "last_k", last_k=2)[0, :, 0].tolist() == [1.5, 6.5]
    assert pool([h], left, "mean")[0, :, 0].tolist() == [2.0, 5.5]
    assert pool([h], left, "last")[0, :, 0].tolist() == [3.0, 7.0]
    assert pool([h], right, "last_k", last_k=9)[0, :, 0].tolist() == [1.0, 5.5]  # k longer than the text


@pytest.mark.parametrize("pooling", ["mean", "last", "last_k"])
def test_a_padded_batch_pools_exactly_like_each_sentence_alone(tiny, pooling):
    model, tok = tiny
    texts = ["i am so happy and grateful for your help today", "sad", "thank you so much"]
    s = S.replace(pooling=pooling, last_k=2, batch_size=3)
    [(idx, batched)] = list(pooled_batches(model, tok, texts, s))
    for j, i in enumerate(idx):
        [(_, alone)] = list(pooled_batches(model, tok, [texts[i]], s))
        np.testing.assert_allclose(batched[:, j], alone[:, 0], atol=1e-5)
    assert batched.shape == (4, 3, 32)  # embeddings + 3 blocks


def test_every_layer_comes_from_one_forward_pass_per_batch_and_batches_are_lazy(tiny):
    model, tok = tiny
    calls = []
    handle = model.model.embed_tokens.register_forward_hook(lambda *a: calls.append(1))
    try:
        texts = [r["text"] for r in sentence_rows(5)]  # 10 texts, batches of 4
        batches = pooled_batches(model, tok, texts, S)
        first_idx, first = next(batches)
        assert len(calls) == 1 and first.shape == (4, 4, 32)  # memory: one batch of every layer, no more
        rest = list(batches)
    finally:
        handle.remove()
    assert len(calls) == 3 and sorted(np.concatenate([first_idx] + [i for i, _ in rest]).tolist()) == list(range(10))
    with torch.no_grad():  # the pooled values are the real hidden states of each layer
        enc = tok([texts[first_idx[0]]], return_tensors="pt")
        hs = model(**enc, output_hidden_states=True).hidden_states
    np.testing.assert_allclose(first[:, 0], torch.stack([h[0].mean(0) for h in hs]).numpy(), atol=1e-5)


def test_batches_are_sorted_by_token_length(tiny):
    model, tok = tiny
    texts = ["a b c d e f g", "a", "a b c", "a b", "a b c d e", "a b c d"]
    order = np.concatenate([idx for idx, _ in pooled_batches(model, tok, texts, S.replace(batch_size=2))])
    assert order.tolist() == [1, 3, 2, 5, 4, 0]


def test_layer_files_hold_every_row_with_label_id_split_and_attrs(tiny, tmp_path):
    model, tok = tiny
    rows = sentence_rows(10)
    split = stratified_split([r["label"] for r in rows], S.split, seed=1)
    s = S.replace(dtype="float16")
    m = write_activations(model, tok, rows, split, s, tmp_path, model_name="tiny")
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"layer_{i:02d}.h5" for i in range(4)]
    assert (m["rows"], m["layers"], m["hidden_size"], m["rows.validation"]) == (20, 4, 32, 4)
    with h5py.File(tmp_path / "layer_02.h5") as f:
        assert f["activations"].shape == (20, 32) and f["activations"].dtype == np.float16
        assert f["activations"].chunks == (4, 32) and f["activations"].maxshape == (None, 32)
        assert f.attrs["layer"] == 2 and f.attrs["pooling"] == "mean"
        assert f.attrs["model"] == "tiny" and f.attrs["hidden_size"] == 32 and f.attrs["num_layers"] == 4
        by_id = dict(zip(f["ids"].asstr()[:], zip(f["labels"][:], f["split"].asstr()[:])))
    assert {r["id"]: (int(r["label"] == "positive"), sp) for r, sp in zip(rows, split)} == \
        {k: (int(v[0]), v[1]) for k, v in by_id.items()}
    acts = read_activations(tmp_path, model="tiny", pooling="mean")
    assert acts.x.shape == (4, 20, 32) and acts.x.dtype == np.float32


def test_layer_files_from_another_model_or_pooling_are_refused(tiny, tmp_path):
    model, tok = tiny
    rows = sentence_rows(4)
    split = stratified_split([r["label"] for r in rows], ProbeSplit(train=0.5, validation=0.25, test=0.25), seed=1)
    write_activations(model, tok, rows, split, S, tmp_path, model_name="tiny")
    with pytest.raises(InputError, match=r"layer_00.h5: captured from model 'tiny' with pooling 'mean', "
                                         r"expected model 'tiny' with pooling 'last'"):
        read_activations(tmp_path, model="tiny", pooling="last")
    with h5py.File(tmp_path / "layer_03.h5", "a") as f:
        f.attrs["model"] = "other/model"
    with pytest.raises(InputError, match=r"layer_03.h5: captured from model 'other/model'"):
        read_activations(tmp_path, model="tiny", pooling="mean")


def test_stratified_split_keeps_the_fractions_within_each_class():
    labels = ["positive"] * 40 + ["negative"] * 20
    split = stratified_split(labels, ProbeSplit(train=0.7, validation=0.15, test=0.15), seed=5)
    for label, n in (("positive", 40), ("negative", 20)):
        part = split[np.array(labels) == label]
        assert [(part == s).sum() for s in ("train", "validation", "test")] == [n - 2 * round(n * 0.15), round(n * 0.15), round(n * 0.15)]
    assert (split == stratified_split(labels, S.split, seed=5)).all()
    assert not (split == stratified_split(labels, S.split, seed=6)).all()


def test_a_class_too_small_to_split_is_named_with_its_count():
    with pytest.raises(InputError, match=r"gen.jsonl: class 'negative' has 2 rows \(class counts: negative 2, "
                                         r"positive 30\).*at least 4 rows per class"):
        stratified_split(["positive"] * 30 + ["negative"] * 2, S.split, seed=0, source="gen.jsonl")


def test_sentence_rows_are_validated_with_file_and_line(tmp_path):
    path = tmp_path / "gen.jsonl"
    path.write_text('{"id": "a", "text": "I am glad.", "label": "positive"}\n{"id": "b", "text": "x", "label": "meh"}\n')
    with pytest.raises(InputError, match=r"gen.jsonl:2: 'label' must be 'positive' or 'negative', got 'meh'"):
        read_sentences(path)
