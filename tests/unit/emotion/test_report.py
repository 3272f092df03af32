import numpy as np
import pandas as pd
import pytest

from affectlab.emotion import EMOTIONS, Scorer, score_parts
from affectlab.emotion.charts import write_charts
from affectlab.emotion.report import build_report, flat_metrics, markdown
from affectlab.emotion.settings import AuditReportSettings
from affectlab.errors import InputError
from repo_params import settings as repo_settings


def one_hot(emotion: str, weight: float = 1.0) -> dict:
    rest = (1 - weight) / 6
    return {e: (weight if e == emotion else rest) for e in EMOTIONS}


def scores_frame() -> pd.DataFrame:
    rows = []
    for i in range(10):  # math: neutral think, neutral answers; chat: neutral think, joyful answers
        rows.append({"source": "math", **{f"think_{e}": v for e, v in one_hot("neutral", 0.7).items()},
                     **{f"response_{e}": v for e, v in one_hot("neutral", 0.7).items()}})
        rows.append({"source": "chat", **{f"think_{e}": v for e, v in one_hot("neutral", 0.4).items()},
                     **{f"response_{e}": v for e, v in one_hot("joy", 0.4 + 0.02 * i).items()}})
    df = pd.DataFrame(rows)
    df.loc[0, [f"think_{e}" for e in EMOTIONS]] = np.nan  # one empty think block
    df["think_empty"] = df["think_neutral"].isna()
    df["response_empty"] = False
    df["think_truncated"] = df["response_truncated"] = False
    return df


def test_think_vs_response_table_diff_and_dominant_shares_are_computed_over_non_empty_texts():
    r = build_report(scores_frame(), AuditReportSettings(bootstrap=200, seed=0))
    t = r.think_vs_response.set_index("emotion")
    think_neutral = (9 * 0.7 + 10 * 0.4) / 19
    assert t.at["neutral", "think"] == pytest.approx(think_neutral)
    assert t.at["joy", "response"] == pytest.approx((10 * 0.1 / 2 + sum(0.4 + 0.02 * i for i in range(10))) / 20)
    assert t.at["joy", "diff"] == pytest.approx(t.at["joy", "response"] - t.at["joy", "think"])
    d = r.dominant.set_index(["part", "emotion"])["share"]
    assert d["think", "neutral"] == 1.0 and d["response", "joy"] == 0.5 and d["response", "neutral"] == 0.5
    assert r.counts == {"rows": 20, "texts.think": 19, "texts.response": 20, "empty.think": 1,
                        "empty.response": 0, "truncated.think": 0, "truncated.response": 0}


def test_bootstrap_ci_brackets_the_source_mean_and_is_zero_width_for_constant_scores():
    r = build_report(scores_frame(), AuditReportSettings(bootstrap=500, seed=1))
    sm = r.source_means.set_index(["source", "part", "emotion"])
    joy = sm.loc[("chat", "response", "joy")]
    assert joy["ci_low"] < joy["mean"] < joy["ci_high"] and joy["ci_high"] - joy["ci_low"] < 0.1
    const = sm.loc[("math", "think", "neutral")]
    assert const["ci_low"] == pytest.approx(0.7) and const["ci_high"] == pytest.approx(0.7) and const["n"] == 9
    again = build_report(scores_frame(), AuditReportSettings(bootstrap=500, seed=1)).source_means
    assert again.equals(r.source_means)


def test_markdown_and_metrics_carry_the_table_in_the_required_format():
    r = build_report(scores_frame(), AuditReportSettings(bootstrap=50, seed=0))
    md = markdown(r)
    assert "| Emotion | Think | Response | Diff (R-T) |" in md
    row = r.think_vs_response.set_index("emotion").loc["joy"]
    assert f"| joy | {row.think:.3f} | {row.response:.3f} | {row['diff']:+.3f} |" in md
    m = flat_metrics(r)
    assert m["diff.joy"] == row["diff"] and m["dominant.response.joy"] == 0.5
    assert not any(k.startswith("source.") for k in m) and all("." in k for k in m if k != "rows")


def test_charts_are_written_as_png(tmp_path):
    paths = write_charts(build_report(scores_frame(), AuditReportSettings(bootstrap=20, seed=0)), tmp_path)
    assert [p.name for p in paths] == ["think_vs_response.png", "source_heatmap.png", "dominant_pies.png"]
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and p.stat().st_size > 5000 for p in paths)


def test_all_empty_scores_are_an_input_error():
    df = scores_frame()
    df.loc[:, [c for c in df.columns if c.endswith(tuple(EMOTIONS))]] = np.nan
    with pytest.raises(InputError, match="every think and response text is empty"):
        build_report(df, AuditReportSettings(bootstrap=10, seed=0))


class LengthScorer(Scorer):
    """Deterministic stand-in: score depends on the text, so we can check what was scored where."""
    window = 1000

    def _spans(self, text):
        return [(0, len(text))]

    def _predict(self, texts):
        out = np.zeros((len(texts), 7))
        for i, t in enumerate(texts):
            out[i, EMOTIONS.index("joy" if "happy" in t else "sadness")] = 1
        return out


def test_score_parts_scores_think_and_response_separately_and_flags_empty_parts():
    from affectlab.emotion import EmotionSettings
    sample = pd.DataFrame({"id": ["a", "b"], "source": ["s", "s"], "row": [0, 1], "turn": [0, 0],
                           "think": ["so happy", ""], "response": ["sad end", "happy end"],
                           "has_think": [True, False], "unclosed_think": [False, False]})
    out = score_parts(sample, LengthScorer(repo_settings(EmotionSettings)))
    assert out["think_joy"].tolist()[0] == 1 and np.isnan(out["think_joy"].tolist()[1])
    assert out["response_sadness"].tolist() == [1, 0] and out["response_joy"].tolist() == [0, 1]
    assert out["think_empty"].tolist() == [False, True] and out["response_empty"].tolist() == [False, False]
    with pytest.raises(InputError, match="missing column"):
        score_parts(sample.drop(columns=["think"]), LengthScorer(repo_settings(EmotionSettings)))
