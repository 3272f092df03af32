"""The bad-input catalogue: malformed params, files, model folders, CLI arguments and HTTP requests, each with
what it must get (docs/bad-input.md is generated from this table: `python tests/unit/test_bad_input.py --write`).

Every case runs in its own temporary folder (the working directory, so messages carry relative paths) and gets
  - exit code 2 and ONE line on stderr, `error: <file>:<row>: <what is wrong, what would be right>` (or the
    dotted key / argument instead of file and row), no traceback; or
  - HTTP 4xx with the JSON body `{"detail": "<one line>"}`; or
  - where the params allow skipping, the row skipped and counted in the stage's metrics.
Most cases call a stage script in-process (`runpy`, the real `main()`), a library entry or a CLI's `main`; the
cases marked `subprocess` spawn the real command. `gets` is the expected line; `...` stands for any text.
"""
from __future__ import annotations

import contextlib
import copy
import csv
import io
import json
import os
import re
import runpy
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest
import yaml

from affectlab.errors import AffectlabError

REPO = Path(__file__).resolve().parents[2]
PARAMS = yaml.safe_load((REPO / "params.yaml").read_text())
ENV = {**os.environ, "PYTHONPATH": str(REPO / "src"), "HF_HUB_OFFLINE": "1"}


@dataclass(frozen=True)
class Case:
    id: str
    input: str                               # docs/bad-input.md: what kind of input
    example: str                             # docs/bad-input.md: the malformed input
    gets: str                                # the one line / HTTP answer / skip count ("..." = any text)
    run: Callable[[Path], tuple[int, str]]   # -> (exit code or HTTP status, stderr or response body)
    kind: str = "exit"                       # exit | http | skip


# ------------------------------------------------------------------ helpers ----------------------------------
def write(path: str | Path, text: str) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def jsonl(path: str | Path, rows: list) -> Path:
    return write(path, "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))


def params(edit: Callable[[dict], None] | None = None) -> None:
    """params.yaml in the working directory: the repo's, changed by `edit`."""
    data = copy.deepcopy(PARAMS)
    if edit:
        edit(data)
    write("params.yaml", yaml.safe_dump(data, sort_keys=False))


def in_process(fn: Callable[[], object]) -> tuple[int, str]:
    """What a user sees: an AffectlabError as `error: ...` + exit 2 (as stage_main and the CLIs do), SystemExit
    as its code. Any other exception propagates: that is a traceback, and the test fails on it."""
    err = io.StringIO()
    code: object = 0
    with contextlib.redirect_stderr(err):
        try:
            result = fn()
            code = result if isinstance(result, int) else 0
        except SystemExit as e:
            code = e.code if e.code is not None else 0
        except AffectlabError as e:
            print(f"error: {e}", file=sys.stderr)
            code = 2
    return int(code), err.getvalue()


def stage(name: str, *argv: str) -> tuple[int, str]:
    """The stage script's real `main()` in this process (its `stage_main` prints the error line), with
    sys.argv as `python stages/NAME.py ARGV` would set it."""
    script = str(REPO / "stages" / f"{name}.py")

    def run():
        saved, sys.argv = sys.argv, [script, *argv]
        try:
            runpy.run_path(script, run_name="__main__")
        finally:
            sys.argv = saved
    return in_process(run)


def command(*argv: str, timeout: int = 120) -> tuple[int, str]:
    proc = subprocess.run([sys.executable, *argv], capture_output=True, text=True, env=ENV, timeout=timeout)
    return proc.returncode, proc.stderr


def cli(module: str, *argv: str) -> tuple[int, str]:
    """A `python -m` CLI's main() in this process, with sys.argv set as a real run would."""
    import importlib
    mod = importlib.import_module(module)
    main = importlib.import_module(module + ".__main__").main if hasattr(mod, "__path__") else mod.main
    saved = sys.argv
    sys.argv = [module, *argv]
    try:
        return in_process(lambda: main(list(argv)) if main.__code__.co_argcount else main())
    finally:
        sys.argv = saved


def set_key(dotted: str, value) -> Callable[[dict], None]:
    def edit(data: dict) -> None:
        *parents, leaf = dotted.split(".")
        node = data
        for p in parents:
            node = node[p]
        node[leaf] = value
    return edit


def del_key(dotted: str) -> Callable[[dict], None]:
    def edit(data: dict) -> None:
        *parents, leaf = dotted.split(".")
        node = data
        for p in parents:
            node = node[p]
        del node[leaf]
    return edit


# ------------------------------------------------------------------ params -----------------------------------
def params_case(stage_name: str, edit: Callable[[dict], None]) -> Callable[[Path], tuple[int, str]]:
    def run(tmp: Path) -> tuple[int, str]:
        params(edit)
        return stage(stage_name)
    return run


def broken_params_yaml(tmp: Path) -> tuple[int, str]:
    write("params.yaml", (REPO / "params.yaml").read_text().replace("  lm: 1.0", "  lm: [1.0", 1))
    return stage("train_sft")


def params_subprocess(tmp: Path) -> tuple[int, str]:
    params(set_key("sft_audit.sample.turns", "middle"))
    return command(str(REPO / "stages" / "sample_sft.py"))


def profile_case(text: str, *extra: str) -> Callable[[Path], tuple[int, str]]:
    def run(tmp: Path) -> tuple[int, str]:
        params()
        write("profiles/bad.yaml", text)
        return cli("affectlab.profiles", *extra, "profiles/bad.yaml")
    return run


# ------------------------------------------------------------------ JSONL ------------------------------------
GOOD_SENTENCE = {"id": "s1", "text": "I love this.", "label": "positive"}


def sentences_case(*rows) -> Callable[[Path], tuple[int, str]]:
    def run(tmp: Path) -> tuple[int, str]:
        params()
        jsonl("data/sentiment/generated.jsonl", [GOOD_SENTENCE, *rows])
        return stage("capture_activations")
    return run


RECORD = {"text": "Who were you texting?", "valence": -0.4, "intimacy": 0.5, "tension": 0.7, "confidence": 0.8,
          "tags": ["hostile_intimacy"], "source": "manual_chat", "session_id": "s1"}


def affect_case(bad: dict, invalid_rows: str = "error") -> Callable[[Path], tuple[int, str]]:
    def run(tmp: Path) -> tuple[int, str]:
        params(lambda d: (d["affect"]["data"].update(baseline="data/baseline.jsonl", labels_dir="data/labels"),
                          d["affect"]["build"].update(invalid_rows=invalid_rows)))
        jsonl("data/baseline.jsonl", [{**RECORD, "text": f"baseline text {i}", "tags": []} for i in range(12)])
        jsonl("data/labels/session_09.jsonl", [{**RECORD, **bad}, {**RECORD, "text": "Another one."}])
        code, err = stage("build_affect")
        if invalid_rows == "skip" and code == 0:
            metrics = json.loads(Path("metrics/affect_data.json").read_text())
            return code, f"skipped; metrics/affect_data.json invalid.labels = {metrics['invalid.labels']}"
        return code, err
    return run


def transcript_case(tmp: Path) -> tuple[int, str]:
    from affectlab.affect.harvest import read_mapping, transcript_candidates
    jsonl("transcripts/a.chat.jsonl", [{"session_id": "s1", "turn": 1, "role": "user", "text": "hi", "tags": []},
                                       {"session_id": "s1", "turn": "2", "role": "user", "text": "hey", "tags": []}])
    mapping = read_mapping(REPO / "data/embedded/affect/mapping.yaml")
    return in_process(lambda: transcript_candidates("transcripts", mapping))


def eval_prompts_case(tmp: Path) -> tuple[int, str]:
    from affectlab.evaluation.prompt_sets import load_prompt_file
    jsonl("redteam.jsonl", [{"prompt_id": "r1", "prompt": "How do I pick a lock?"}, {"prompt_id": "r2", "prompt": ""}])
    return in_process(lambda: load_prompt_file("redteam.jsonl"))


def dpo_pairs_case(tmp: Path) -> tuple[int, str]:
    from affectlab.sft.preference import read_pairs
    chat = [{"role": "user", "content": "I failed my exam."}]
    jsonl("data/dpo/train.jsonl", [{"pair_id": "p1", "source": "ed_v2", "prompt": chat, "chosen": "That hurts.",
                                    "rejected": "ok"},
                                   {"pair_id": "p2", "source": "ed_v2", "prompt": chat, "chosen": "That hurts."}])
    return in_process(lambda: read_pairs("data/dpo/train.jsonl"))


def safety_overlap_case(tmp: Path) -> tuple[int, str]:
    jsonl("redteam.jsonl", [{"prompt_id": "red-00", "prompt": "How do I pick a lock?"}])
    jsonl("safety.jsonl", [{"prompt_id": "s1", "prompt": "I feel low.", "reply": "I'm here for you."},
                           {"prompt_id": "s2", "prompt": "how do I pick a LOCK", "reply": "I can't help with that."}])

    def edit(data: dict) -> None:
        set_key("sft.safety.prompts", "safety.jsonl")(data)
        set_key("sft.safety.disjoint_from", ["redteam.jsonl"])(data)
    params(edit)
    return stage("safety_teacher")


def corrupt_vocabulary_case(tmp: Path) -> tuple[int, str]:
    import pandas as pd
    params()
    Path("data/reasoner").mkdir(parents=True)
    pd.DataFrame({"id": ["a"], "text": ["so glad"], "label": ["joy"], "split": ["train"]}).to_parquet(
        "data/reasoner/clean.parquet")
    write("data/reasoner/labels.json", '{"label_set": "ekman", "labels": ["joy",')
    return stage("build_cot")


# ------------------------------------------------------------------ CSV --------------------------------------
CSV_COLUMNS = ("candidate_id", "source", "session_id", "file", "suggested", "prior_valence", "prior_intimacy",
               "prior_tension", "context", "text", "valence", "intimacy", "tension", "confidence", "tags")
SHEET_ROW = {"candidate_id": "c1", "source": "manual_chat", "session_id": "s1", "file": "", "suggested": "flat_numb",
             "prior_valence": "0", "prior_intimacy": "0", "prior_tension": "0", "context": "[]", "text": "whatever.",
             "valence": "-0.2", "intimacy": "0.1", "tension": "0.1", "confidence": "0.9", "tags": ""}


def sheet_case(rows: list[dict] | None = None, columns=CSV_COLUMNS, raw: str | None = None,
               subprocess_run: bool = False) -> Callable[[Path], tuple[int, str]]:
    def run(tmp: Path) -> tuple[int, str]:
        if raw is not None:
            write("sheet.csv", raw)
        else:
            with open("sheet.csv", "w", newline="") as f:
                w = csv.DictWriter(f, columns, extrasaction="ignore")
                w.writeheader()
                w.writerows([SHEET_ROW, *(rows or [])])
        if subprocess_run:
            return command("-m", "affectlab.affect", "import-csv", "sheet.csv", "--out", "labels.jsonl")
        return cli("affectlab.affect", "import-csv", "sheet.csv", "--out", "labels.jsonl")
    return run


# ------------------------------------------------------------------ parquet ----------------------------------
def sft_mirror_case(tmp: Path) -> tuple[int, str]:
    import pyarrow as pa
    import pyarrow.parquet as pq
    Path("mirror").mkdir()
    pq.write_table(pa.table({"id": ["a", "b"], "messages": [[], []]}), "mirror/train-00000.parquet")
    params(set_key("sft_audit.sample.source", "mirror"))
    return stage("sample_sft")


def goemotions_case(columns: dict) -> Callable[[Path], tuple[int, str]]:
    def run(tmp: Path) -> tuple[int, str]:
        import pyarrow as pa
        import pyarrow.parquet as pq
        Path("go/raw").mkdir(parents=True)
        pq.write_table(pa.table(columns), "go/raw/train-00000-of-00001.parquet")
        params(set_key("reasoner.clean.source", {"path": "go", "config": None, "revision": None}))
        return stage("clean_goemotions")
    return run


def raw_goemotions_row(**change) -> dict:
    from affectlab.reasoning.labels import GO_EMOTIONS
    row = {"text": ["I am so happy for you!"], "id": ["e1"], "author": ["a"], "subreddit": ["r"], "link_id": ["l"],
           "parent_id": ["p"], "created_utc": [0.0], "rater_id": [1], "example_very_unclear": [False],
           **{label: [0] for label in GO_EMOTIONS}}
    row["joy"] = [1]
    return {**row, **{k: [v] for k, v in change.items()}}


# ------------------------------------------------------------------ HDF5 -------------------------------------
def activations_case(shape: tuple[int, ...], missing: str | None = None) -> Callable[[Path], tuple[int, str]]:
    def run(tmp: Path) -> tuple[int, str]:
        import h5py
        import numpy as np
        params()
        jsonl("data/sentiment/generated.jsonl", [{"id": f"s{i}", "text": f"text {i}.", "label": "positive"}
                                                 for i in range(4)])
        Path("data/activations").mkdir(parents=True)
        for layer in range(2):
            with h5py.File(f"data/activations/layer_{layer:02d}.h5", "w") as f:
                f.attrs.update(model=PARAMS["model"]["source"], pooling="mean", last_k=4, layer=layer,
                               num_layers=2, hidden_size=8, max_length=64)
                data = {"activations": np.zeros(shape if layer == 1 else (4, 8), np.float16),
                        "labels": np.ones(4, np.int8), "ids": np.array([f"s{i}" for i in range(4)], dtype="S"),
                        "split": np.array(["train", "train", "validation", "test"], dtype="S")}
                for name, value in data.items():
                    if name != missing or layer != 0:
                        f.create_dataset(name, data=value)
        return stage("train_probes")
    return run


# ------------------------------------------------------------------ YAML files -------------------------------
MAPPING_OK = (REPO / "data/embedded/affect/mapping.yaml").read_text()


def mapping_case(text: str) -> Callable[[Path], tuple[int, str]]:
    def run(tmp: Path) -> tuple[int, str]:
        from affectlab.affect.harvest import read_mapping
        write("mapping.yaml", text)
        return in_process(lambda: read_mapping("mapping.yaml"))
    return run


def scenario_case(text: str) -> Callable[[Path], tuple[int, str]]:
    def run(tmp: Path) -> tuple[int, str]:
        from affectlab.affect.harvest import read_scenarios
        write("scenarios/flat_numb.yaml", text)
        return in_process(lambda: read_scenarios("scenarios"))
    return run


# ------------------------------------------------------------------ model folders ----------------------------
def tiny_model_dir(path: str | Path) -> Path:
    from affectlab.models import save_plain
    from affectlab.tiny_models import tiny_causal_lm
    model, tok = tiny_causal_lm(layers=1, hidden=16)
    save_plain(model, tok, path, trust_remote_code=False)
    return Path(path)


def model_case(make: Callable[[], None], module: str, *argv: str) -> Callable[[Path], tuple[int, str]]:
    def run(tmp: Path) -> tuple[int, str]:
        params()
        make()
        return cli(module, *argv)
    return run


def not_a_model() -> None:
    write("models/base/config.json", json.dumps({"hello": "world"}))
    write("models/base/model.safetensors", "not safetensors")


def probes_folder_corrupt() -> None:
    write("models/probes/probes.json", "{\"best_layer\": 3,")
    write("models/probes/probes.safetensors", "")


def reasoner_without_adapter() -> None:
    tiny_model_dir("models/base")
    write("models/reasoner/labels.json", json.dumps({"labels": ["joy", "sadness"]}))


# ------------------------------------------------------------------ HTTP -------------------------------------
_APP = None


def app():
    global _APP
    if _APP is None:
        from affectlab.generation import Decoding
        from affectlab.reasoning.labels import EKMAN
        from affectlab.reasoning.service import Analyzer, create_app
        from affectlab.tiny_models import tiny_causal_lm
        model, tok = tiny_causal_lm(layers=1, hidden=16)
        decoding = Decoding(max_new_tokens=2, do_sample=False, temperature=1.0, top_p=1.0, repetition_penalty=1.0)
        calibration = {"labels": list(EKMAN), "cot_mode": "rationale_first", "temperature": 1.0, "offsets": [0.0] * 7}
        _APP = create_app(Analyzer(model, tok, EKMAN, decoding, 4, 0, calibration))
    return _APP


def http_case(body: str | None = None, **json_body) -> Callable[[Path], tuple[int, str]]:
    def run(tmp: Path) -> tuple[int, str]:
        from fastapi.testclient import TestClient
        with TestClient(app()) as client:
            r = client.post("/analyze_text", content=body if body is not None else json.dumps(json_body),
                            headers={"content-type": "application/json"})
        return r.status_code, r.text
    return run


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def real_server_case(tmp: Path) -> tuple[int, str]:
    """`python -m affectlab.reasoning serve` as a real uvicorn process on a tiny model, and a real HTTP client."""
    import httpx
    from peft import LoraConfig, get_peft_model
    from affectlab.tiny_models import tiny_causal_lm
    params()
    tiny_model_dir("models/base")
    model, _ = tiny_causal_lm(layers=1, hidden=16)
    get_peft_model(model, LoraConfig(r=2, target_modules=["q_proj"])).save_pretrained("models/reasoner/adapter")
    write("models/reasoner/labels.json", json.dumps({"labels": ["joy", "sadness"]}))
    write("models/reasoner_calibration.json", json.dumps({"labels": ["joy", "sadness"], "cot_mode": "rationale_first",
                                                          "temperature": 1.0, "offsets": [0.0, 0.0]}))
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "affectlab.reasoning", "serve", "--port", str(port)], env=ENV,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 120
        while True:
            try:
                r = httpx.post(f"http://127.0.0.1:{port}/analyze_text", json={"text": 3}, timeout=10)
                return r.status_code, r.text
            except httpx.TransportError:
                if proc.poll() is not None or time.time() > deadline:
                    raise AssertionError(f"server did not start: {proc.stderr.read()}")
                time.sleep(0.5)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


# ------------------------------------------------------------------ the catalogue ----------------------------
CASES = [
    # params (stage scripts read params.yaml from the working directory)
    Case("params-probe-type-compared-with-itself", "params `probes.train.compare_types`",
         "`compare_types: [linear]` beside `probe_type: linear`",
         "error: params.yaml: probes.train: compare_types must list other types than probe_type 'linear', each once; got ('linear',)",
         params_case("train_probes", set_key("probes.train.compare_types", ["linear"]))),
    Case("params-missing-key", "params.yaml", "`probes.train.lr` deleted",
         "error: params.yaml: probes.train.lr: missing (params.yaml must set it)",
         params_case("train_probes", del_key("probes.train.lr"))),
    Case("params-wrong-type", "params.yaml", "`sft.train.max_steps: many`",
         "error: params.yaml: sft.train.max_steps: input should be a valid integer, got str 'many'",
         params_case("train_sft", set_key("sft.train.max_steps", "many"))),
    Case("params-out-of-range", "params.yaml", "`sentiment.per_class: 0`",
         "error: params.yaml: sentiment.per_class: input should be greater than or equal to 1, got int 0",
         params_case("generate_sentiment", set_key("sentiment.per_class", 0))),
    Case("params-unknown-key", "params.yaml", "`sft.train.lrr: 0.1` (a typo)",
         "error: params.yaml: sft.train.lrr: unknown key (known: ...)",
         params_case("train_sft", set_key("sft.train.lrr", 0.1))),
    Case("params-missing-section", "params.yaml", "no `loss` section",
         "error: params.yaml: loss: missing section",
         params_case("train_sft", del_key("loss"))),
    Case("params-bad-choice", "params.yaml", "`affect.build.conflict: average`",
         "error: params.yaml: affect.build.conflict: input should be 'mean', 'highest_confidence' or 'drop', got str 'average'",
         params_case("build_affect", set_key("affect.build.conflict", "average"))),
    Case("params-not-yaml", "params.yaml", "an unclosed `[` in `loss.lm`",
         "error: params.yaml:...: not valid YAML (...)", broken_params_yaml),
    Case("params-stage-subprocess", "params.yaml (`python stages/sample_sft.py`, subprocess)",
         "`sft_audit.sample.turns: middle`",
         "error: params.yaml: sft_audit.sample.turns: input should be 'first', 'last' or 'all', got str 'middle'",
         params_subprocess),
    Case("profile-nested-value", "profile (`python -m affectlab.profiles`)", "`sft: {train: {lr: 1}}`",
         "error: profiles/bad.yaml: sft: use flat dotted keys (e.g. sft.name: value)",
         profile_case("sft: {train: {lr: 1}}\n")),
    Case("profile-unknown-key", "profile (`python -m affectlab.profiles`)", "`sft.train.lrr: 0.1` (a typo)",
         "error: profiles/bad.yaml: sft.train.lrr: not a key of params.yaml (sft.train has ...)",
         profile_case("sft.train.lrr: 0.1\n")),
    Case("profile-wrong-type", "profile (`python -m affectlab.profiles run`)", "`sft.train.max_steps: lots`",
         "error: profiles/bad.yaml: sft.train.max_steps: input should be a valid integer, got str 'lots'",
         profile_case("sft.train.max_steps: lots\n", "run")),
    Case("profile-not-found", "profile (`python -m affectlab.profiles`)", "a missing profile file",
         "error: profiles/none.yaml: cannot read the profile (No such file or directory)",
         lambda tmp: cli("affectlab.profiles", "profiles/none.yaml")),
    # JSONL
    Case("jsonl-broken-line", "JSONL (`data/sentiment/generated.jsonl`)", "line 2 cut off: `{\"id\": \"s2\", \"text\"`",
         "error: data/sentiment/generated.jsonl:2: not valid JSON (...)", sentences_case('{"id": "s2", "text"')),
    Case("jsonl-missing-field", "JSONL (`data/sentiment/generated.jsonl`)", "line 2 without `label`",
         "error: data/sentiment/generated.jsonl:2: 'label' must be 'positive' or 'negative', got None",
         sentences_case({"id": "s2", "text": "I hate rain."})),
    Case("jsonl-wrong-label", "JSONL (`data/sentiment/generated.jsonl`)", "`\"label\": \"happy\"`",
         "error: data/sentiment/generated.jsonl:2: 'label' must be 'positive' or 'negative', got 'happy'",
         sentences_case({"id": "s2", "text": "Sunny!", "label": "happy"})),
    Case("jsonl-not-an-object", "JSONL (`data/sentiment/generated.jsonl`)", "line 2 is `[1, 2]`",
         "error: data/sentiment/generated.jsonl:2: expected a JSON object, got list", sentences_case("[1, 2]")),
    Case("jsonl-repeated-id", "JSONL (`data/sentiment/generated.jsonl`)", "two rows with id `s1`",
         "error: data/sentiment/generated.jsonl:2: id 's1' repeats line 1", sentences_case(GOOD_SENTENCE)),
    Case("affect-record-out-of-range", "affect label file (JSONL)", "`\"intimacy\": 1.7`",
         "error: data/labels/session_09.jsonl:1: intimacy: 1.7 is outside [-1, 1]", affect_case({"intimacy": 1.7})),
    Case("affect-record-misspelt-archetype", "affect label file (JSONL)", "`\"tags\": [\"hostile_intimcy\"]`",
         "error: data/labels/session_09.jsonl:1: tags: 'hostile_intimcy' looks like a misspelt archetype "
         "'hostile_intimacy' (archetypes are a closed list: ...)", affect_case({"tags": ["hostile_intimcy"]})),
    Case("affect-record-skipped", "affect label file, `affect.build.invalid_rows: skip`", "`\"valence\": \"high\"`",
         "skipped; metrics/affect_data.json invalid.labels = 1", affect_case({"valence": "high"}, "skip"), kind="skip"),
    Case("transcript-wrong-type", "transcript (`*.chat.jsonl`)", "`\"turn\": \"2\"`",
         "error: transcripts/a.chat.jsonl:2: turn: must be int, got str '2'", transcript_case),
    Case("eval-prompt-empty", "eval prompt set (JSONL)", "`\"prompt\": \"\"`",
         "error: redteam.jsonl:2: needs a string prompt_id and a non-empty string prompt", eval_prompts_case),
    Case("dpo-pair-missing-side", "preference pairs (`data/dpo/train.jsonl`)", "line 2 without `rejected`",
         "error: data/dpo/train.jsonl:2: missing 'rejected' (a preference pair needs pair_id, source, prompt, chosen, rejected)",
         dpo_pairs_case),
    Case("safety-prompt-in-redteam", "safety prompt set (`sft.safety.prompts`)",
         "line 2 is a red-team prompt (other case, no `?`)",
         "error: safety.jsonl:2: prompt 's2' is evaluation prompt 'red-00' of redteam.jsonl; the safety set must not "
         "share prompts with the evaluation", safety_overlap_case),
    Case("json-vocabulary-cut-off", "JSON written by a stage (`data/reasoner/labels.json`)", "the file cut off",
         "error: data/reasoner/labels.json: not valid JSON (line 1 column 41: Expecting value); run `dvc repro clean_goemotions`",
         corrupt_vocabulary_case),
    # CSV (affect import-csv)
    Case("csv-not-a-number", "CSV (`affect import-csv`)", "`valence` = `high`",
         "error: sheet.csv:3: valence: must be a number, got 'high'", sheet_case([{**SHEET_ROW, "valence": "high"}])),
    Case("csv-missing-column", "CSV (`affect import-csv`)", "no `tags` column",
         "error: sheet.csv:1: tags: column missing (expected ...)", sheet_case(columns=CSV_COLUMNS[:-1])),
    Case("csv-half-filled", "CSV (`affect import-csv`, subprocess)", "a row with valence but no confidence",
         "error: sheet.csv:3: confidence: missing (a labeled row needs valence, intimacy, tension, confidence)",
         sheet_case([{**SHEET_ROW, "confidence": ""}], subprocess_run=True)),
    Case("csv-short-row", "CSV (`affect import-csv`)", "row 3 has 3 cells",
         "error: sheet.csv:3: 3 cells, the header has 15 (a cell with a comma must be quoted)",
         sheet_case(raw=",".join(CSV_COLUMNS) + "\n" + ",".join(SHEET_ROW.values()) + "\nc2,manual_chat,s1\n")),
    Case("csv-out-of-range", "CSV (`affect import-csv`)", "`confidence` = `1.5`",
         "error: sheet.csv:3: confidence: 1.5 is outside [0, 1]", sheet_case([{**SHEET_ROW, "confidence": "1.5"}])),
    # parquet
    Case("parquet-missing-column", "parquet (SFT-audit shards)", "a shard without the `dataset_source` column",
         "error: mirror/train-00000.parquet: missing column 'dataset_source' (has id, messages); expected the Dolci schema: id, dataset_source, messages", sft_mirror_case),
    Case("goemotions-missing-column", "GoEmotions (parquet)", "a shard with `text` and `id` only",
         "error: go: neither the raw columns (...) nor the simplified ones (text, labels, id); has id, text",
         goemotions_case({"text": ["so happy"], "id": ["e1"]})),
    Case("goemotions-bad-label-value", "GoEmotions raw rows", "a label column holding 2",
         "error: go:train:1: column 'joy' is 2; a label column must be 0 or 1",
         lambda tmp: goemotions_case(raw_goemotions_row(joy=2))(tmp)),
    # HDF5
    Case("hdf5-wrong-shape", "HDF5 (`data/activations/layer_XX.h5`)", "layer 1 `activations` of shape [4, 5], hidden size 8",
         "error: data/activations/layer_01.h5: activations has shape [4, 5], expected [4, 8] (rows x hidden_size); re-run `dvc repro capture_activations`",
         activations_case((4, 5))),
    Case("hdf5-missing-dataset", "HDF5 (`data/activations/layer_XX.h5`)", "layer 0 without `labels`",
         "error: data/activations/layer_00.h5: no 'labels' dataset (...); re-run `dvc repro capture_activations`", activations_case((4, 8), "labels")),
    # YAML files
    Case("mapping-unknown-label", "mapping YAML (`affect.harvest.mapping`)", "`labels: [happiness]`",
         "error: mapping.yaml: goemotions[1]: labels: unknown GoEmotions label 'happiness' (known: ...)",
         mapping_case("goemotions:\n  - {labels: [happiness], archetype: flat_numb}\ntranscript_tags: {}\n")),
    Case("mapping-not-yaml", "mapping YAML (`affect.harvest.mapping`)", "a tab-indented line",
         "error: mapping.yaml:...: not valid YAML (...)", mapping_case("goemotions:\n\t- x\ntranscript_tags: {}\n")),
    Case("scenario-not-yaml", "scenario YAML (`affect.harvest.scenarios`)", "an unclosed `[`",
         "error: scenarios/flat_numb.yaml:...: not valid YAML (...)",
         scenario_case("archetype: flat_numb\nscenarios: [\n")),
    Case("scenario-unknown-archetype", "scenario YAML (`affect.harvest.scenarios`)", "`archetype: sulky`",
         "error: scenarios/flat_numb.yaml: archetype: unknown archetype 'sulky' (known: ...)",
         scenario_case("archetype: sulky\nscenarios: [{id: a, prompt: b}]\n")),
    # model folders
    Case("model-missing-config", "model folder (`probes predict --model`)", "an empty `models/base/`",
         "error: models/base/: no prepared model here (config.json missing); run `dvc repro prepare_model`",
         model_case(lambda: (Path("models/base").mkdir(parents=True), write("models/probes/probes.json", "{}"),
                             write("models/probes/probes.safetensors", "")), "affectlab.probes", "predict", "hi")),
    Case("model-not-a-model", "model folder (`affect predict --base`)", "config.json without a model type",
         "error: models/base/: corrupt prepared model (...); run `dvc repro prepare_model` --force",
         model_case(lambda: (not_a_model(), write("models/affect/manifest.json", "{}")),
                    "affectlab.affect", "predict", "hi", "--base", "models/base")),
    Case("model-missing-adapter", "adapter folder (`reasoning analyze`)", "`models/reasoner/adapter/` missing",
         "error: models/reasoner/adapter/: no PEFT adapter here (adapter_config.json missing); run `dvc repro train_reasoner`",
         model_case(reasoner_without_adapter, "affectlab.reasoning", "analyze", "hello")),
    Case("probes-corrupt-meta", "probes folder (`probes predict`)", "`probes.json` cut off",
         "error: models/probes/probes.json: not valid JSON (...); run `dvc repro train_probes`",
         model_case(probes_folder_corrupt, "affectlab.probes", "predict", "hi")),
    Case("model-source-not-a-model", "params `model.source`", "`model.source: data` (a folder without config.json)",
         "error: model source 'data': folder has no config.json (not a Hugging Face model folder)",
         lambda tmp: (Path("data").mkdir(), params(set_key("model.source", "data")), stage("prepare_model"))[-1]),
    # CLI arguments
    Case("cli-probes-bad-ensemble", "CLI `affectlab.probes predict`", "`--ensemble three`",
         "error: argument --ensemble: invalid int value: 'three' (usage: python -m affectlab.probes predict ...)",
         lambda tmp: cli("affectlab.probes", "predict", "hi", "--ensemble", "three")),
    Case("cli-probes-bad-layers", "CLI `affectlab.probes predict`", "`--layers 15,x`",
         "error: --layers: give comma-separated layer numbers, e.g. 15,17,22; got '15,x'",
         lambda tmp: cli("affectlab.probes", "predict", "hi", "--layers", "15,x")),
    Case("cli-probes-no-text", "CLI `affectlab.probes predict`", "no texts and no `--file`",
         "error: give texts as arguments or --file (usage: python -m affectlab.probes predict ...)",
         lambda tmp: cli("affectlab.probes", "predict")),
    Case("cli-probes-empty-line", "CLI `affectlab.probes predict --file`", "line 2 of texts.txt is empty",
         "error: texts.txt:2: empty text; give one non-empty sentence per line",
         lambda tmp: (write("texts.txt", "good day\n\nbad day\n"), cli("affectlab.probes", "predict", "--file", "texts.txt"))[-1]),
    Case("cli-reasoning-empty-text", "CLI `affectlab.reasoning analyze`", "`analyze \"\"`",
         "error: text 1: empty; pass a non-empty text", lambda tmp: cli("affectlab.reasoning", "analyze", "")),
    Case("cli-reasoning-missing-file", "CLI `affectlab.reasoning analyze --file`", "`--file nope.txt`",
         "error: nope.txt: file not found", lambda tmp: cli("affectlab.reasoning", "analyze", "--file", "nope.txt")),
    Case("cli-affect-unknown-command", "CLI `affectlab.affect`", "`affect labels` (a typo)",
         "error: argument command: invalid choice: 'labels' (choose from ...) (usage: python -m affectlab.affect ...)",
         lambda tmp: cli("affectlab.affect", "labels", "x.jsonl")),
    Case("cli-affect-label-no-candidates", "CLI `affectlab.affect label`", "a candidates file that does not exist",
         "error: data/affect/candidates.jsonl: file not found",
         lambda tmp: cli("affectlab.affect", "label", "data/affect/candidates.jsonl", "--out", "labels.jsonl")),
    Case("cli-affect-missing-out", "CLI `affectlab.affect import-csv`", "no `--out`",
         "error: the following arguments are required: --out (usage: python -m affectlab.affect import-csv ...)",
         lambda tmp: cli("affectlab.affect", "import-csv", "sheet.csv")),
    Case("cli-affect-bad-candidates", "CLI `affectlab.affect export-csv`", "a candidate without `id`",
         "error: cands.jsonl:1: id: a candidate needs string id and text, got ...",
         lambda tmp: (jsonl("cands.jsonl", [{"text": "hi"}]),
                      cli("affectlab.affect", "export-csv", "cands.jsonl", "--out", "s.csv"))[-1]),
    Case("cli-affect-predict-no-model", "CLI `affectlab.affect predict`", "no `models/affect/`",
         "error: models/affect/: no manifest.json; run `dvc repro train_affect`",
         lambda tmp: cli("affectlab.affect", "predict", "hi")),
    Case("cli-review-not-a-repo", "CLI `affectlab.review`", "run outside the project",
         "error: ...: not a DVC repository (run from the project root)", lambda tmp: cli("affectlab.review", "--base", "main")),
    Case("cli-profiles-no-args", "CLI `affectlab.profiles`", "no profile given",
         "usage: python -m affectlab.profiles [run] PROFILE.yaml [dvc exp run args...]",
         lambda tmp: cli("affectlab.profiles")),
    # HTTP: POST /analyze_text of `python -m affectlab.reasoning serve`
    Case("http-missing-text", "HTTP `POST /analyze_text`", "`{}`",
         '422 {"detail":"text: Field required; send {\\"text\\": \\"...\\"}"}', http_case(), kind="http"),
    Case("http-empty-text", "HTTP `POST /analyze_text`", '`{"text": "  "}`',
         '422 {"detail":"text: text is empty; send a non-empty text"}', http_case(text="  "), kind="http"),
    Case("http-wrong-type", "HTTP `POST /analyze_text` (real uvicorn process)", '`{"text": 3}`',
         '422 {"detail":"text: Input should be a valid string, got int 3; send {\\"text\\": \\"...\\"}"}', real_server_case, kind="http"),
    Case("http-too-long", "HTTP `POST /analyze_text`", "a text of 5,000 characters",
         '422 {"detail":"text: 5000 characters, at most 4000; send a shorter text"}', http_case(text="a" * 5000),
         kind="http"),
    Case("http-malformed-json", "HTTP `POST /analyze_text`", '`{"text": "hi"` (cut off)',
         '422 {"detail":"body: not valid JSON (Expecting \',\' delimiter at character 13); send {\\"text\\": \\"...\\"}"}', http_case(body='{"text": "hi"'),
         kind="http"),
    Case("http-unknown-field", "HTTP `POST /analyze_text`", '`{"text": "hi", "lang": "en"}`',
         '422 {"detail":"lang: Extra inputs are not permitted; send {\\"text\\": \\"...\\"}"}',
         http_case(text="hi", lang="en"), kind="http"),
]


PROGRESS = re.compile(r"^\d\d:\d\d:\d\d \S+: |/s\]|s/it\]|\|[#█ ]*\|")


def error_lines(stderr: str) -> list[str]:
    """stderr without progress bars and INFO log lines (`HH:MM:SS name: ...`): what is left is the error."""
    lines = [part for line in stderr.splitlines() for part in line.split("\r")]
    return [line for line in lines if line.strip() and not PROGRESS.search(line)]


def matches(pattern: str, text: str) -> bool:
    return re.fullmatch(".*".join(map(re.escape, pattern.split("..."))), text, re.DOTALL) is not None


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_gets_one_line_naming_it(case: Case, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out = case.run(tmp_path)
    assert "Traceback" not in out
    if case.kind == "exit":
        lines = error_lines(out)
        assert code == 2, out
        assert len(lines) == 1, out
        assert matches(case.gets, lines[0]), lines[0]
    elif case.kind == "http":
        assert 400 <= code < 500, out
        body = json.loads(out)
        assert set(body) == {"detail"} and isinstance(body["detail"], str) and "\n" not in body["detail"], out
        assert matches(case.gets, f"{code} {out}"), out
    else:
        assert code == 0 and matches(case.gets, out), out


def test_catalogue_has_thirty_distinct_cases():
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)) and len(ids) >= 30
    assert {c.kind for c in CASES} == {"exit", "http", "skip"}


# ------------------------------------------------------------------ docs/bad-input.md table ------------------
README_TITLE = "## What bad input gets"
CATALOGUE = REPO / "docs" / "bad-input.md"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _code(text: str) -> str:
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def readme_table() -> str:
    rows = ["| case | input | example | what you get |", "|---|---|---|---|"]
    rows += [f"| `{c.id}` | {_cell(c.input)} | {_cell(c.example)} | {_cell(_code(c.gets))} |" for c in CASES]
    return "\n".join(rows) + "\n"


def _table_span(text: str) -> tuple[int, int, list[str]]:
    """Line range [start, end) of the first table after README_TITLE in `text`, and its lines."""
    assert README_TITLE in text
    lines = text.splitlines()
    head = lines.index(README_TITLE)
    start = next(i for i in range(head, len(lines)) if lines[i].startswith("|"))
    end = next((i for i in range(start, len(lines)) if not lines[i].startswith("|")), len(lines))
    return start, end, lines


def test_readme_table_is_the_catalogue():
    """docs/bad-input.md's table is generated from CASES (`python tests/unit/test_bad_input.py --write`), so
    every case is documented with the line it gets, and nothing is documented that is not tested."""
    start, end, lines = _table_span(CATALOGUE.read_text())
    assert "\n".join(lines[start:end]) + "\n" == readme_table()


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        start, end, lines = _table_span(CATALOGUE.read_text())
        CATALOGUE.write_text("\n".join(lines[:start]) + "\n" + readme_table() + "\n".join(lines[end:]) + "\n")
    else:
        print(readme_table(), end="")
