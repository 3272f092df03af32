"""prepare_sft_data: hub-format readers, leakage-free prompts, train-only vocabularies, masking, bad input."""
import json
from collections import Counter
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from affectlab.errors import InputError
from affectlab.sft.encoding import IGNORE, build_vocab, encode, label_ids, prepare
from affectlab.sft.settings import DatasetSource, SftDataSettings
from affectlab.sft.sources import GO_EMOTIONS, SOURCES, Example, load_split_rows, parse_chat_history, read_source
from affectlab.tiny_models import tiny_tokenizer
from repo_params import settings as repo_settings

REPO = Path(__file__).resolve().parents[3]
SPLIT_FILES = {"train": "train", "validation": "dev", "test": "test"}
# strings that only ever appear in label / metadata fields: none may reach the model input
SECRETS = ["zebraquux", "marmalade", "xylophone", "quokkasecret", "Providing Suggestions"]


@pytest.fixture(scope="module")
def tok():
    corpus = ["i feel sad today because my dog is sick", "that sounds hard how are you coping",
              "hello hi there thanks a lot you are welcome what happened next",
              "zebraquux marmalade xylophone quokkasecret providing suggestions question"] * 3
    return tiny_tokenizer(corpus)


def write_ed(folder: Path, rows_by_split: dict[str, list[dict]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for split, rows in rows_by_split.items():
        pd.DataFrame(rows, columns=["id", "chat_history", "sys_response", "situation", "emotion", "question or not",
                                    "behavior"]).to_csv(folder / f"{SPLIT_FILES[split]}.csv", index=False)


def ed_row(i, history, response, emotion="sad", situation="my dog is sick zebraquux"):
    return {"id": f"hit:{i}", "chat_history": repr(history), "sys_response": response, "situation": situation,
            "emotion": emotion, "question or not": "not question", "behavior": "marmalade"}


def esconv_text(dialog, **extra):
    return json.dumps({"experience_type": "xylophone", "emotion_type": "sadness", "problem_type": "quokkasecret",
                       "situation": "zebraquux", "survey_score": {}, "dialog": dialog, **extra})


def write_esconv(folder: Path, rows_by_split: dict[str, list[str]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for split, texts in rows_by_split.items():
        (folder / f"{split}.json").write_text("".join(json.dumps({"text": t}) + "\n" for t in texts))


def write_go(folder: Path, rows_by_split: dict[str, list[tuple[str, list[int]]]]) -> None:
    (folder / "simplified").mkdir(parents=True, exist_ok=True)
    (folder / "README.md").write_text("---\nconfigs:\n- config_name: simplified\n  data_files:\n" + "".join(
        f"  - split: {s}\n    path: simplified/{s}-00000-of-00001.parquet\n" for s in rows_by_split) + "---\n")
    schema = pa.schema([("text", pa.string()), ("labels", pa.list_(pa.int64())), ("id", pa.string())])
    for split, rows in rows_by_split.items():
        table = pa.table({"text": [t for t, _ in rows], "labels": [l for _, l in rows],
                          "id": [f"e{i}" for i in range(len(rows))]}, schema=schema)
        pq.write_table(table, folder / "simplified" / f"{split}-00000-of-00001.parquet")


def dialog(*turns):
    return [{"text": t, "speaker": s, **({"strategy": st} if st else {})} for s, t, st in turns]


GOOD_DIALOG = dialog(("usr", "hello", None), ("sys", "hi there what happened", "Question"),
                     ("usr", "my dog is sick", None), ("sys", "that sounds hard", "Reflection of feelings"))


@pytest.fixture
def sources(tmp_path):
    """A small, valid set of the three sources in their hub layouts."""
    write_ed(tmp_path / "ed", {s: [ed_row(0, ["i feel sad today_comma_ my dog is sick"], "that sounds hard"),
                                   ed_row(1, ["hello", "hi", "my dog is sick"], "how are you coping ?", "devastated")]
                               for s in SPLIT_FILES})
    write_esconv(tmp_path / "es", {"train": [esconv_text(GOOD_DIALOG)],
                                   "validation": [esconv_text(GOOD_DIALOG)],
                                   "test": [esconv_text(dialog(("usr", "hello", None),
                                                               ("sys", "thanks", "Providing Suggestions")))]})
    write_go(tmp_path / "go", {"train": [("i feel sad today", [25]), ("thanks a lot", [15]), ("hello hi", [1, 2])],
                               "validation": [("thanks a lot", [15]), ("you are welcome", [0])],
                               "test": [("hello", [27])]})
    return tmp_path


def settings(root: Path, **kw) -> SftDataSettings:
    return repo_settings(SftDataSettings, {"ed_v2.path": str(root / "ed"), "esconv.path": str(root / "es"),
                                           "go_emotions.path": str(root / "go")}, **kw)


def test_prepare_builds_rows_per_source_with_masked_prompts_and_counted_skips(sources, tok):
    tables, vocab, m = prepare(settings(sources), tok)
    train = tables["train"]
    assert m["rows.train.ed_v2"] == 2 and m["rows.train.esconv"] == 2 and m["rows.train.go_emotions"] == 2
    assert m["drops.go_emotions.multi_label"] == 1
    for _, r in train.iterrows():
        n = r["prompt_length"]
        assert list(r["labels"][:n]) == [IGNORE] * n
        if r["source"] == "go_emotions":
            assert all(x == IGNORE for x in r["labels"]) and len(r["input_ids"]) == n
        else:
            assert list(r["labels"][n:]) == list(r["input_ids"][n:]) and len(r["input_ids"]) > n
    es = train[train["source"] == "esconv"]
    assert [vocab["strategy"][i] for i in es["strategy_label"]] == ["Question", "Reflection of feelings"]
    # the first supporter turn sees only the greeting; the second sees greeting, reply and problem
    assert [len(msgs) for msgs in es["messages"]] == [2, 4]
    assert tok.decode(es.iloc[1]["input_ids"][es.iloc[1]["prompt_length"]:]).startswith("that sounds hard")


def test_ed_v2_prompt_is_chat_history_only_with_commas_decoded_and_roles_alternating(sources, tok):
    tables, _, _ = prepare(settings(sources), tok)
    ed = tables["train"][tables["train"]["source"] == "ed_v2"]
    first, second = ed.iloc[0]["messages"], ed.iloc[1]["messages"]
    assert first[0] == {"role": "user", "content": "i feel sad today, my dog is sick"}
    assert first[-1] == {"role": "assistant", "content": "that sounds hard"}
    assert [m["role"] for m in second] == ["user", "assistant", "user", "assistant"]


def test_no_label_or_metadata_string_reaches_the_input_ids(sources, tok):
    tables, _, _ = prepare(settings(sources), tok)
    secret_ids = {i for s in SECRETS for i in tok(s.lower(), add_special_tokens=False)["input_ids"]} - {tok.unk_token_id}
    assert len(secret_ids) >= 5  # the tokenizer knows every secret word, so leakage would show up as ids
    for split, table in tables.items():
        for _, r in table.iterrows():
            assert not secret_ids & set(r["input_ids"]), (split, r["id"], tok.decode(r["input_ids"]))
            assert not any(s.lower() in m["content"].lower() for s in SECRETS for m in r["messages"])


def test_strategy_vocab_comes_from_train_only_and_unseen_labels_are_ignored_and_counted(sources, tok):
    tables, vocab, m = prepare(settings(sources), tok)
    assert vocab["strategy"] == ["Question", "Reflection of feelings"]  # test's "Providing Suggestions" is not in it
    test_es = tables["test"][tables["test"]["source"] == "esconv"]
    assert list(test_es["strategy_label"]) == [IGNORE]
    assert m["unseen_label.test.strategy"] == 1
    # GoEmotions: admiration (0) appears in validation only -> ignored there and counted
    val_go = tables["validation"][tables["validation"]["source"] == "go_emotions"]
    assert list(val_go["emotion_label"]) == [GO_EMOTIONS.index("gratitude"), IGNORE]
    assert m["unseen_label.validation.emotion"] == 1 and m["unseen_label.test.emotion"] == 1
    assert vocab["emotion"] == list(GO_EMOTIONS) and vocab["emotion_seen_in_train"] == ["gratitude", "sadness"]


def test_emotion_mapping_is_off_by_default_and_maps_ed_emotions_when_on(sources, tok):
    off, _, _ = prepare(settings(sources), tok)
    assert set(off["train"].query("source == 'ed_v2'")["emotion_label"]) == {IGNORE}
    on, vocab, _ = prepare(settings(sources, map_emotions=True), tok)
    ed = on["train"].query("source == 'ed_v2'")
    # sad -> sadness, devastated -> grief (mapped rows are train rows too, so grief is a seen label)
    assert [vocab["emotion"][i] for i in ed["emotion_label"]] == ["sadness", "grief"]
    assert "grief" in vocab["emotion_seen_in_train"]


def test_too_long_example_loses_prompt_tokens_from_the_left_and_keeps_its_target(tok):
    counts = Counter()
    long_prompt = " ".join(["my dog is sick"] * 40)
    ex = Example("x", "ed_v2", [{"role": "user", "content": long_prompt}], "that sounds hard")
    row = encode(ex, tok, 40, counts, "train")
    assert len(row["input_ids"]) == 40 and counts["truncated.train.ed_v2"] == 1
    target = tok.apply_chat_template(ex.prompt + [{"role": "assistant", "content": ex.target}], tokenize=False)
    full_ids = tok(target, add_special_tokens=False)["input_ids"]
    assert row["input_ids"] == full_ids[-40:]  # the right end (target and the prompt's tail) is intact
    n = row["prompt_length"]
    assert tok.decode(row["input_ids"][n:]).startswith("that sounds hard")
    # a target that leaves no room for a prompt is dropped and counted, not silently cut
    huge = Example("y", "esconv", [{"role": "user", "content": "hello"}], " ".join(["that sounds hard"] * 30))
    assert encode(huge, tok, 40, counts, "train") is None and counts["drops.esconv.target_too_long"] == 1


def test_esconv_text_that_is_not_json_names_split_and_row(tmp_path, tok):
    rows = [{"text": esconv_text(GOOD_DIALOG)}, {"text": "{not json"}]
    with pytest.raises(InputError, match=r"es validation row 2: 'text' is not valid JSON"):
        list(read_source("esconv", rows, "validation", "es", Counter(), False))


def test_esconv_dialog_without_supporter_turn_is_a_counted_skip():
    drops = Counter()
    rows = [{"text": esconv_text(dialog(("usr", "hello", None), ("usr", "anyone ?", None)))},
            {"text": esconv_text(GOOD_DIALOG)}]
    out = list(read_source("esconv", rows, "train", "es", drops, False))
    assert drops["esconv.no_supporter_turn"] == 1 and len(out) == 2


def test_supporter_turn_without_strategy_is_kept_for_the_lm_and_counted_not_dropped():
    drops = Counter()
    turns = dialog(("usr", "hello", None), ("sys", "hi there", None))
    out = list(read_source("esconv", [{"text": esconv_text(turns)}], "train", "es", drops, False))
    assert [(e.target, e.strategy) for e in out] == [("hi there", None)]
    assert drops == {"kept_without_strategy.esconv": 1}


def test_esconv_original_release_format_seeker_supporter_content_annotation_is_read():
    turns = [{"speaker": "seeker", "content": "hello"},
             {"speaker": "supporter", "content": "hi what happened", "annotation": {"strategy": "Question"}}]
    out = list(read_source("esconv", [{"text": json.dumps({"dialog": turns})}], "train", "es", Counter(), False))
    assert [(e.prompt, e.target, e.strategy) for e in out] == [([{"role": "user", "content": "hello"}],
                                                                "hi what happened", "Question")]


def test_goemotions_label_out_of_range_names_split_and_row():
    rows = [{"text": "fine", "labels": [3]}, {"text": "bad", "labels": [28]}]
    with pytest.raises(InputError, match=r"go test row 2: label id 28 out of range"):
        list(read_source("go_emotions", rows, "test", "go", Counter(), False))


def test_empty_sys_response_is_a_counted_skip():
    drops = Counter()
    rows = [ed_row(0, ["hello"], ""), ed_row(1, ["hello"], None), ed_row(2, ["hello"], "hi")]
    out = list(read_source("ed_v2", rows, "train", "ed", drops, False))
    assert drops["ed_v2.empty_target"] == 2 and [e.target for e in out] == ["hi"]


def test_chat_history_that_is_not_a_python_list_is_one_utterance():
    assert parse_chat_history("['a_comma_ b', 'c']") == ["a, b", "c"]
    assert parse_chat_history("just text_comma_ unquoted") == ["just text, unquoted"]


def test_label_ids_count_unseen_per_head():
    vocab = build_vocab([Example("a", "esconv", [], "t", emotion="joy", strategy="Question")])
    counts = Counter()
    assert label_ids(Example("b", "esconv", [], "t", emotion="joy", strategy="Other"), vocab, counts, "test") == \
        (GO_EMOTIONS.index("joy"), IGNORE)
    assert counts == {"unseen_label.test.strategy": 1}


def test_committed_mirrors_load_with_the_hub_code_path_and_have_hundreds_of_varied_rows(tok):
    p = repo_settings(SftDataSettings, {f"{s}.path": str(REPO / f"data/embedded/{s}") for s in SOURCES})
    tables, vocab, m = prepare(p, tok)
    for source in ("ed_v2", "esconv", "go_emotions"):
        assert m[f"rows.train.{source}"] >= 300 and m[f"rows.validation.{source}"] >= 60
    train = tables["train"]
    targets = {m_[-1]["content"] for m_ in train.query("source != 'go_emotions'")["messages"]}
    prompts = {m_[0]["content"] for m_ in train["messages"]}
    assert len(targets) >= 30 and len(prompts) >= 300
    assert len(vocab["strategy"]) == 8 and len(vocab["emotion_seen_in_train"]) == 28
    assert m["drops.ed_v2.empty_target"] == 1 and m["drops.esconv.no_supporter_turn"] == 1


def go_texts(folder: Path) -> dict[str, list[str]]:
    return {split: rows["text"] for split, rows in load_split_rows(DatasetSource(path=str(folder), config="simplified", revision=None),
                                                                  "go_emotions").items()}


def test_two_goemotions_folders_with_the_same_layout_each_read_their_own_rows(tmp_path):
    # same folder name, README and file names, as in two checkouts: datasets keys its cache on exactly these
    mine, theirs = tmp_path / "mine" / "go_emotions", tmp_path / "theirs" / "go_emotions"
    write_go(mine, {"train": [("mine one", [1])], "validation": [("mine two", [2])], "test": [("mine three", [3])]})
    write_go(theirs, {"train": [(f"theirs {i}", [i % 28]) for i in range(7)], "validation": [("theirs v", [0])],
                      "test": [("theirs t", [0]), ("theirs u", [1])]})
    assert go_texts(theirs)["train"] == [f"theirs {i}" for i in range(7)]
    assert go_texts(mine) == {"train": ["mine one"], "validation": ["mine two"], "test": ["mine three"]}
    assert go_texts(theirs)["test"] == ["theirs t", "theirs u"]


def test_a_goemotions_file_rewritten_in_place_is_read_anew(tmp_path):
    folder = tmp_path / "go_emotions"
    write_go(folder, {s: [("old a", [1]), ("old b", [2]), ("old c", [3])] for s in SPLIT_FILES})
    assert go_texts(folder)["train"] == ["old a", "old b", "old c"]
    write_go(folder, {s: [(f"new {i}", [i]) for i in range(5)] for s in SPLIT_FILES})
    assert go_texts(folder)["train"] == [f"new {i}" for i in range(5)]


def test_a_source_that_cannot_be_loaded_is_one_line_naming_key_path_and_config(tmp_path):
    with pytest.raises(InputError, match=r"^sft\.data\.go_emotions: cannot load '.*nowhere' \(config 'simplified'\): "
                                         r"\w+: [^\n]+$"):
        load_split_rows(DatasetSource(path=str(tmp_path / "nowhere"), config="simplified", revision=None), "go_emotions")
