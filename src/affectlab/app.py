"""Try the exported models on one text in a browser: `make app` (Streamlit on 127.0.0.1).

    streamlit run src/affectlab/app.py --server.address 127.0.0.1     # what `make app` runs
    http://127.0.0.1:8501/?text=what+a+relief                         # a text in the address runs at once

One text gets family D's emotion, reasoning and per-label scores (models/reasoner/), family E's valence,
intimacy and tension (models/affect/) and family B's sentiment at the best layer and the K-best ensemble
(models/probes/). A part whose model is not built says which `dvc repro` target builds it; the others still
answer. The models folder and the params file (the reasoner's decoding, `reasoner.eval`) come from
AFFECTLAB_MODELS (default `models`) and AFFECTLAB_PARAMS (default `params.yaml`), relative to the working
directory, so the page reads what `dvc repro` wrote there.
"""
from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from affectlab.errors import AffectlabError
from affectlab.reasoning.service import check_texts

# part -> (the file its model needs, the stage that writes it)
BUILT_BY = {"reasoner": ("reasoner/adapter/adapter_config.json", "train_reasoner"),
            "affect": ("affect/manifest.json", "train_affect"),
            "probes": ("probes/probes.json", "train_probes"),
            "base": ("base/config.json", "prepare_model")}


def not_built(models: Path, part: str) -> str | None:
    """The line a part shows when its model (or the base model under it) is not on disk, else None."""
    for name in (part, "base"):
        needed, stage = BUILT_BY[name]
        if not (models / needed).is_file():
            also = "" if name == part else f" (`dvc repro {BUILT_BY[part][1]}` builds everything this part needs)"
            return f"Not built yet: `{models / needed}` is missing. `dvc repro {stage}` builds it{also}."
    return None


# Loaded once per server process (st.cache_resource), shared by every session and request. A load that
# raises is not cached, so a model built while the server runs is picked up on the next request.
@st.cache_resource(show_spinner="Loading family D's reasoner ...")
def load_reasoner(models: str, params: str):
    from affectlab.config import load_params
    from affectlab.reasoning.service import Analyzer
    from affectlab.reasoning.settings import ReasonerEvalSettings

    p = load_params(ReasonerEvalSettings, params)
    return Analyzer.load(Path(models) / "base", Path(models) / "reasoner" / "adapter", p.decoding, p.batch_size,
                         p.seed)


@st.cache_resource(show_spinner="Loading family E's affect model ...")
def load_affect(models: str):
    from affectlab.affect.regression import AffectPredictor

    return AffectPredictor(Path(models) / "affect", Path(models) / "base")


@st.cache_resource(show_spinner="Loading family B's probes ...")
def load_probes(models: str):
    from affectlab.probes.predict import Predictor

    return Predictor.load(Path(models) / "probes", Path(models) / "base")


def reasoner_part(models: Path, params: str, text: str) -> None:
    st.subheader("D. Emotion and why")
    result = load_reasoner(str(models), params)([text])[0]
    st.markdown(f"**Emotion:** {result['emotion']}" + ("" if result["parsed"] else
                " (no answer line in the reply: the most likely label after its reasoning)"))
    st.markdown(f"**Reasoning:** {result['reasoning'] or '(none)'}")
    rows = sorted(result["scores"].items(), key=lambda kv: -kv[1])
    st.markdown("| label | probability |\n|---|---|\n" + "\n".join(f"| {k} | {v:.3f} |" for k, v in rows))


def affect_part(models: Path, text: str) -> None:
    from affectlab.affect.records import AXES

    st.subheader("E. Valence, intimacy, tension")
    values = load_affect(str(models)).predict([text])[0]
    st.markdown(" · ".join(f"**{axis}** {v:+.3f}" for axis, v in zip(AXES, values)) + "  (each in [-1, 1])")


def probes_part(models: Path, text: str, k: int) -> None:
    st.subheader("B. Sentiment")
    predictor = load_probes(str(models))
    k = min(k, len(predictor.meta["ranking"]))
    for name, pred in (("best layer", predictor.predict([text])[0]),
                       (f"{k}-best ensemble", predictor.predict([text], ensemble=k)[0])):
        layers = ", ".join(map(str, pred.layers))
        st.markdown(f"**{name}** (layer{'s' if len(pred.layers) > 1 else ''} {layers}): {pred.label}, "
                    f"P(positive) {pred.probability:.3f}")


def part(models: Path, name: str, title: str, show) -> None:
    """One model's answer, or why it has none (not built, or a one-line load error); never a traceback."""
    missing = not_built(models, name)
    if missing:
        st.subheader(title)
        st.warning(missing)
        return
    try:
        show()
    except AffectlabError as e:
        st.error(f"error: {e}")


def main() -> None:
    models = Path(os.environ.get("AFFECTLAB_MODELS", "models"))
    params = os.environ.get("AFFECTLAB_PARAMS", "params.yaml")
    st.set_page_config(page_title="affectlab", layout="centered")
    st.title("affectlab: try the models")
    st.caption(f"Models from `{models}/` as the pipeline exported them; one text at a time.")
    linked = st.query_params.get("text", "")
    text = st.text_area("Text", value=linked, key="text", height=100)
    k = st.number_input("K best layers for family B's ensemble", min_value=1, max_value=64, value=3, key="k")
    if not (st.button("Analyze", key="analyze", type="primary") or linked):
        return
    try:
        check_texts([text])  # the CLIs' own check: an empty or over-long text gets their one line
    except AffectlabError as e:
        st.error(f"error: {e}")
        return
    part(models, "reasoner", "D. Emotion and why", lambda: reasoner_part(models, params, text))
    part(models, "affect", "E. Valence, intimacy, tension", lambda: affect_part(models, text))
    part(models, "probes", "B. Sentiment", lambda: probes_part(models, text, int(k)))


main()
