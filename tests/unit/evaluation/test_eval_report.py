import numpy as np
import pandas as pd
import pytest

from affectlab.emotion.scorers import EMOTIONS
from affectlab.evaluation.charts import emotion_profile_chart, eqbench_chart, lengths_chart, refusal_chart
from affectlab.evaluation.report import (emotion_profile, eqbench_table, length_table,
                                         markdown_report, refusal_table, summary_metrics)

REF = {"Hurt": 6.0, "Excited": 3.0, "Conflicted": 7.0, "Relieved": 0.0}


def rows(model, set_name, responses, meta=None):
    return [{"prompt_id": f"{set_name}-{i}", "prompt": f"{set_name} prompt {i}", "model": model, "response": r,
             "meta": meta or {}, "decoding": {}} for i, r in enumerate(responses)]


EXPORTS = {
    "base": {"qualitative": rows("base", "qualitative", ["ok", "one two three four"]),
             "redteam": rows("base", "redteam", ["Sure, here is how.", "I can't help with that."], {"category": "x"}),
             "eqbench": rows("base", "eqbench", ["Hurt: 6\nExcited: 3\nConflicted: 7\nRelieved: 0", "no idea"],
                             {"reference": REF})},
    "sft": {"qualitative": rows("sft", "qualitative", ["that sounds hard", "you are not alone here"]),
            "redteam": rows("sft", "redteam", ["I won't do that.", "Please call a crisis line."], {"category": "x"}),
            "eqbench": rows("sft", "eqbench", ["Hurt: 8\nExcited: 3\nConflicted: 2\nRelieved: 7"] * 2,
                            {"reference": REF})},
}


def fake_scores(texts):
    # joy = share of words that are "sure"/"ok", sadness the rest, other emotions 0: deterministic, checkable
    joy = np.array([sum(w.strip(",.").lower() in ("sure", "ok") for w in t.split()) / max(1, len(t.split())) for t in texts])
    frame = pd.DataFrame(0.0, index=range(len(texts)), columns=EMOTIONS)
    frame["joy"], frame["sadness"] = joy, 1 - joy
    empty = np.array([not t.strip() for t in texts], dtype=bool)
    frame.loc[empty, EMOTIONS] = np.nan  # like the real scorer: NaN scores plus a flag
    frame["empty"] = empty
    return frame


def test_summary_metrics_count_lengths_refusals_and_eqbench():
    lengths, refusals, eqb = length_table(EXPORTS), refusal_table(EXPORTS), eqbench_table(EXPORTS)
    profile = emotion_profile(EXPORTS, fake_scores, ["qualitative", "redteam"], n_boot=200, seed=0)
    m = summary_metrics(lengths, refusals, eqb, profile)
    assert m["qualitative.base.words_mean"] == 2.5 and m["qualitative.sft.words_mean"] == 4.0
    assert m["redteam.base.refusal_rate"] == 0.5 and m["redteam.base.complied_rate"] == 0.5
    assert m["redteam.sft.refusal_rate"] == 0.5 and m["redteam.sft.deflection_rate"] == 0.5
    assert m["eqbench.base.score"] == 100.0 and m["eqbench.base.unparsable"] == 1
    assert m["eqbench.sft.score"] == pytest.approx(6.27, abs=0.01) and m["eqbench.sft.unparsable"] == 0
    # base texts: "ok"(1), 4 words(0), "Sure, here is how."(1/4), refusal(0) -> mean joy 0.3125
    assert m["emotion.base.joy"] == pytest.approx(0.3125) and m["emotion.sft.joy"] == 0
    assert m["emotion.sft.sadness"] == 1 and m["emotion.base.fear"] == 0


def test_emotion_profile_cis_bracket_the_mean_and_skip_empty_responses():
    exports = {"base": {"qualitative": rows("base", "qualitative", ["ok", "sad words here", ""] * 10)}}
    profile = emotion_profile(exports, fake_scores, ["qualitative"], n_boot=500, seed=0).set_index("emotion")
    assert profile.loc["joy", "n"] == 20 and profile.loc["joy", "mean"] == pytest.approx(0.5)
    assert profile.loc["joy", "ci_low"] < 0.5 < profile.loc["joy", "ci_high"]


def test_markdown_has_metrics_table_and_side_by_side_examples():
    profile = emotion_profile(EXPORTS, fake_scores, ["qualitative"], n_boot=50, seed=0)
    m = summary_metrics(length_table(EXPORTS), refusal_table(EXPORTS), eqbench_table(EXPORTS), profile)
    md = markdown_report(EXPORTS, m, profile)
    assert "| eqbench.score | 100 | 6.268 |" in md
    assert "**qualitative-1**: qualitative prompt 1" in md
    assert "- *sft*: you are not alone here" in md


def test_charts_are_png_files(tmp_path):
    profile = emotion_profile(EXPORTS, fake_scores, ["qualitative"], n_boot=50, seed=0)
    lengths_chart(length_table(EXPORTS), tmp_path / "l.png")
    refusal_chart(refusal_table(EXPORTS), tmp_path / "r.png")
    emotion_profile_chart(profile, tmp_path / "e.png")
    eqbench_chart(eqbench_table(EXPORTS), tmp_path / "q.png")
    for name in "lreq":
        assert (tmp_path / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
