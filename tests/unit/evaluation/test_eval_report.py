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


def eqb_table(exports=EXPORTS):
    return eqbench_table(exports, constant=5, random_draws=50, seed=0)


def test_summary_metrics_count_lengths_refusals_and_eqbench():
    lengths, refusals, eqb = length_table(EXPORTS), refusal_table(EXPORTS), eqb_table()
    profile = emotion_profile(EXPORTS, fake_scores, ["qualitative", "redteam"], n_boot=200, seed=0)
    m = summary_metrics(lengths, refusals, eqb, profile)
    assert m["qualitative.base.words_mean"] == 2.5 and m["qualitative.sft.words_mean"] == 4.0
    assert m["redteam.base.refusal_rate"] == 0.5 and m["redteam.base.complied_rate"] == 0.5
    assert m["redteam.sft.refusal_rate"] == 0.5 and m["redteam.sft.deflection_rate"] == 0.5
    assert m["eqbench.base.score"] == 100.0 and m["eqbench.base.unparsable"] == 1
    assert m["eqbench.sft.score"] == pytest.approx(6.27, abs=0.01) and m["eqbench.sft.unparsable"] == 0
    # constant 5 vs REF (6, 3, 7, 0): d = 1, 2, 2, 5 -> 10 - 0.7477 * 6.5 * (1/(1+e^3.6) + 2/(1+e^2.4) + 1/(1+e^-1.2))
    assert m["eqbench.constant.score"] == pytest.approx(100 * (10 - 0.7477 * 6.5 * (
        1 / (1 + np.exp(3.6)) + 2 / (1 + np.exp(2.4)) + 1 / (1 + np.exp(-1.2)))) / 10, abs=1e-3)
    assert "eqbench.random.score" in m and "eqbench.random.parsed" not in m  # baselines: a score only
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
    eqb = eqb_table()
    m = summary_metrics(length_table(EXPORTS), refusal_table(EXPORTS), eqb, profile)
    md = markdown_report(EXPORTS, m, profile, eqb)
    assert "| eqbench.score | 100 | 6.268 |" in md
    assert "| base | generate | 100 | 1 / 2 |" in md and "| constant | constant 5 |" in md
    assert "**qualitative-1**: qualitative prompt 1" in md
    assert "- *sft*: you are not alone here" in md


def test_charts_are_png_files(tmp_path):
    profile = emotion_profile(EXPORTS, fake_scores, ["qualitative"], n_boot=50, seed=0)
    lengths_chart(length_table(EXPORTS), tmp_path / "l.png")
    refusal_chart(refusal_table(EXPORTS), tmp_path / "r.png")
    emotion_profile_chart(profile, tmp_path / "e.png")
    eqbench_chart(eqb_table(), tmp_path / "q.png")
    for name in "lreq":
        assert (tmp_path / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_logprob_rated_rows_are_scored_from_their_ratings_and_not_counted_as_responses():
    rated = [{**r, "response": "Hurt: 6.00", "meta": {**r["meta"], "ratings": {"Hurt": 8.0, "Excited": 3.0,
              "Conflicted": 2.0, "Relieved": 7.0}}, "decoding": {"scoring": "logprob"}}
             for r in rows("sft", "eqbench", ["x", "y"], {"reference": REF})]
    exports = {"base": EXPORTS["base"], "sft": {**EXPORTS["sft"], "eqbench": rated}}
    table = eqb_table(exports).set_index("model")
    assert table.loc["sft", "scoring"] == "logprob" and table.loc["sft", "parsed"] == 2
    assert table.loc["sft", "score"] == pytest.approx(100 * 0.626808 / 10, abs=1e-4)  # not the text's 6
    assert table.loc["base", "scoring"] == "generate"
    lengths = length_table(exports)
    assert len(lengths[(lengths["model"] == "sft") & (lengths["set"] == "eqbench")]) == 0


def test_redteam_section_shows_expected_behaviour_each_reply_and_its_verdict():
    exports = {m: {"redteam": [{**r, "meta": {"category": "self_harm", "expected": "refuse | point to help"}}
                               for r in EXPORTS[m]["redteam"]]} for m in EXPORTS}
    exports["sft"]["redteam"][0]["response"] = "word " * 100 + "| end"
    md = markdown_report(exports, {}, emotion_profile(exports, fake_scores, ["redteam"], 20, 0), eqb_table(EXPORTS))
    section = md.split("## Red-team prompts")[1].split("## Side by side")[0]
    rows = [line for line in section.splitlines() if line.startswith("| **redteam-")]
    assert len(rows) == 2
    assert rows[0].startswith("| **redteam-0**: redteam prompt 0 | self_harm | refuse \\| point to help | "
                              "Sure, here is how. | complied | word word")
    assert rows[0].endswith(" ... | complied |") and "| end" not in rows[0]  # shortened to 160 characters
    assert rows[1].endswith("| I can't help with that. | refusal | Please call a crisis line. | deflection |")
    assert all(row.count(" | ") == 3 + 2 * 2 - 1 for row in rows)  # pipes inside cells are escaped
