"""Gemma 3 capture: the text model, and google/gemma-3-4b-it's multimodal wrapper, whose text layers sit
inside Gemma3ForConditionalGeneration (config.text_config; no num_hidden_layers at the top)."""
import numpy as np
import pytest

from affectlab.probes.capture import pooled_batches, text_config, write_activations
from affectlab.probes.dataset import read_activations, stratified_split
from affectlab.probes.predict import Predictor
from affectlab.probes.settings import ProbeCaptureSettings, ProbeSplit, ProbeTrainSettings
from affectlab.probes.study import run_study, save_probes
from affectlab.tiny_models import tiny_gemma3
from probe_fixtures import sentence_rows
from repo_params import settings

CAPTURE = settings(ProbeCaptureSettings, batch_size=8, dtype="float32")
TEXTS = ["i am so happy and grateful now", "i feel sad and lonely today", "what a wonderful surprise"]


def _pooled(model, tok):
    out = np.zeros((text_config(model).num_hidden_layers + 1, len(TEXTS), text_config(model).hidden_size))
    for idx, pooled in pooled_batches(model, tok, TEXTS, CAPTURE):
        out[:, idx] = pooled
    return out


def test_the_wrapper_captures_exactly_the_text_models_layers():
    wrapper, tok = tiny_gemma3(layers=3, multimodal=True)
    text, _ = tiny_gemma3(tok, layers=3)
    # the same text weights in the plain causal LM: the wrapper's capture must equal it layer by layer
    missing, unexpected = text.model.load_state_dict(wrapper.model.language_model.state_dict(), strict=False), None
    assert not missing.missing_keys and not missing.unexpected_keys
    assert text_config(wrapper).num_hidden_layers == 3 and not hasattr(wrapper.config, "num_hidden_layers")
    a, b = _pooled(wrapper, tok), _pooled(text, tok)
    assert a.shape == (4, 3, 32)
    np.testing.assert_allclose(a, b, atol=1e-5)
    assert np.abs(a[1] - a[0]).max() > 1e-3   # block outputs, not the embeddings repeated


@pytest.mark.parametrize("multimodal", [False, True])
def test_gemma3_probes_train_save_and_predict_like_the_llama_ones(tmp_path, multimodal):
    model, tok = tiny_gemma3(layers=2, multimodal=multimodal)
    model.save_pretrained(tmp_path / "base")
    tok.save_pretrained(tmp_path / "base")
    rows = sentence_rows(12)
    split = stratified_split([r["label"] for r in rows], ProbeSplit(train=0.5, validation=0.25, test=0.25), seed=0)
    info = write_activations(model, tok, rows, split, CAPTURE, tmp_path / "acts", "tiny-gemma3")
    assert (info["layers"], info["hidden_size"]) == (3, 32)
    acts = read_activations(tmp_path / "acts", model="tiny-gemma3", pooling="mean")
    assert acts.x.shape == (3, 24, 32)
    study = run_study(acts, {r["id"]: r["text"] for r in rows},
                      settings(ProbeTrainSettings, lr=0.05, epochs=20, patience=5, ensemble_layers=(1, 2)))
    save_probes(study, acts.attrs, tmp_path / "probes")
    predictor = Predictor.load(tmp_path / "probes", tmp_path / "base")
    assert type(predictor.model).__name__ == type(model).__name__   # the saved folder reloads as the same class
    preds = predictor.predict(TEXTS, layers=[1, 2], vote=True)
    assert [p.layers for p in preds] == [(1, 2)] * 3 and all(0 <= p.probability <= 1 for p in preds)
