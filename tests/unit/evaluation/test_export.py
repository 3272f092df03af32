
import pytest

from affectlab.evaluation.export import export_model, generated
from affectlab.io import read_jsonl

SETS = {"qual": [{"prompt_id": f"q{i}", "prompt": f"prompt {i}", "meta": {"i": i}} for i in range(5)],
        "red": [{"prompt_id": "r0", "prompt": "risky", "meta": {"category": "x"}}]}
DECODING = {"do_sample": False, "max_new_tokens": 8}


class CountingGenerator:
    def __init__(self, fail_after_batches=None):
        self.calls, self.fail_after = [], fail_after_batches

    def __call__(self, prompts):
        if self.fail_after is not None and len(self.calls) == self.fail_after:
            raise KeyboardInterrupt("killed")
        self.calls.append(list(prompts))
        return [p.upper() for p in prompts]


def answers(gen):
    return {name: generated(gen, DECODING) for name in SETS}


def test_export_writes_every_prompt_in_order_with_the_schema(tmp_path):
    gen = CountingGenerator()
    counts = export_model(answers(gen), SETS, "base", tmp_path / "out", tmp_path / "ckpt", batch_size=2)
    assert counts == {"qual": 5, "red": 1}
    rows = [r for _, r in read_jsonl(tmp_path / "out/qual.jsonl")]
    assert [r["prompt_id"] for r in rows] == ["q0", "q1", "q2", "q3", "q4"]
    assert rows[3] == {"prompt_id": "q3", "prompt": "prompt 3", "model": "base", "response": "PROMPT 3",
                       "meta": {"i": 3}, "decoding": DECODING}
    assert [len(c) for c in gen.calls] == [2, 2, 1, 1]


def test_a_killed_export_resumes_without_regenerating_answered_prompts(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        export_model(answers(CountingGenerator(fail_after_batches=2)), SETS, "sft", tmp_path / "out",
                     tmp_path / "ckpt", batch_size=2)
    assert not (tmp_path / "out/qual.jsonl").exists()  # no half-written out
    with open(tmp_path / "ckpt/sft_qual.jsonl", "a") as f:
        f.write('{"prompt_id": "q4", "pro')                 # and a write cut mid-line
    gen = CountingGenerator()
    export_model(answers(gen), SETS, "sft", tmp_path / "out", tmp_path / "ckpt", batch_size=2)
    assert gen.calls == [["prompt 4"], ["risky"]]
    assert [r["response"] for _, r in read_jsonl(tmp_path / "out/qual.jsonl")] == [f"PROMPT {i}" for i in range(5)]


def test_each_set_is_answered_by_its_own_function(tmp_path):
    rated = lambda batch: [{"response": "Hurt: 5.00", "meta": {**p["meta"], "ratings": {"Hurt": 5.0}},
                            "decoding": {"scoring": "logprob"}} for p in batch]
    gen = CountingGenerator()
    export_model({"qual": generated(gen, DECODING), "red": rated}, SETS, "base", tmp_path / "out",
                 tmp_path / "ckpt", batch_size=4)
    assert gen.calls == [[f"prompt {i}" for i in range(4)], ["prompt 4"]]  # the red set never generated
    (_, red), = read_jsonl(tmp_path / "out/red.jsonl")
    assert red == {"prompt_id": "r0", "prompt": "risky", "model": "base", "response": "Hurt: 5.00",
                   "meta": {"category": "x", "ratings": {"Hurt": 5.0}}, "decoding": {"scoring": "logprob"}}


def test_one_process_resumes_from_the_checkpoints_of_a_killed_two_process_run(tmp_path):
    from affectlab.io import append_jsonl
    row = lambda i: {"prompt_id": f"q{i}", "prompt": f"prompt {i}", "model": "base", "response": f"PROMPT {i}",
                     "meta": {"i": i}, "decoding": DECODING}
    (tmp_path / "ckpt").mkdir()
    append_jsonl([row(0), row(1)], tmp_path / "ckpt/base_qual.jsonl")  # process 0 answered its first batch,
    append_jsonl([row(3)], tmp_path / "ckpt/base_qual.1.jsonl")        # process 1 part of its own
    gen = CountingGenerator()
    export_model(answers(gen), SETS, "base", tmp_path / "out", tmp_path / "ckpt", batch_size=2)
    assert gen.calls == [["prompt 2", "prompt 4"], ["risky"]]
    assert [r["response"] for _, r in read_jsonl(tmp_path / "out/qual.jsonl")] == [f"PROMPT {i}" for i in range(5)]
