"""Scale-out on one CPU machine, for real: `train_sft` in two `torchrun` processes, and two queued experiments
run side by side by `dvc queue start -j 2`.

Both tests start from one repo with `prepare_sft_data` done and committed, and train a few steps only."""
import json
import math
import re
import time

import pandas as pd
import pytest

pytestmark = pytest.mark.pipeline

# 6 steps, a checkpoint at step 3 (written by the main process while the other one waits in the all-reduce)
SMALL = {"sft.train.max_steps": 6, "sft.train.batch_size": 4, "sft.train.eval_every": 6,
         "sft.train.eval_max_examples": 24, "sft.train.checkpoint_every": 3}
TORCHRUN = ("torchrun", "--standalone", "--nproc_per_node", "2", "stages/train_sft.py")
FIRST_ROWS = re.compile(r"process (\d) of 2: first batch rows \[([\d, ]+)\]")


@pytest.fixture(scope="module")
def prepared(dvc_template, tmp_path_factory):
    from harness import clone_template
    repo = clone_template(dvc_template, tmp_path_factory.mktemp("scale") / "repo")
    repo.set_params(SMALL)
    # train_sft's inputs: data/sft, the safety teacher's targets, family E's built dataset
    assert sorted(repo.repro("prepare_sft_data", "safety_teacher", "build_affect")) == [
        "build_affect", "prepare_sft_data", "safety_teacher"]
    repo.commit("prepared sft data")
    return repo


@pytest.fixture
def repo(prepared, tmp_path):
    from harness import clone_template
    return clone_template(prepared, tmp_path / "repo")


def out_files(repo) -> list[str]:
    return sorted(p.relative_to(repo.root).as_posix() for d in ("models/sft", "plots/sft_train", "metrics", "logs")
                  for p in repo.path(d).rglob("*") if p.is_file())


def test_two_torchrun_processes_train_disjoint_halves_of_the_global_batch_and_match_one_process(repo):
    from affectlab.sft.affect_head import read_splits
    from affectlab.sft.mixture import MixtureSampler
    from affectlab.sft.safety import safety_table

    start = time.perf_counter()
    assert repo.repro("train_sft") == ["train_sft"]  # one process, batch 4
    one_s = time.perf_counter() - start
    one, one_files = repo.read_json("metrics/sft_train.json"), out_files(repo)

    repo.set_params({"sft.train.batch_size": 2})      # two processes x batch 2: the same global batch
    start = time.perf_counter()
    proc = repo.run(*TORCHRUN, timeout=900)
    two_s = time.perf_counter() - start
    log = proc.stdout + proc.stderr
    two = repo.read_json("metrics/sft_train.json")

    # both processes joined one process group and trained on their own half of the global batch
    firsts = {int(r): [int(i) for i in rows.split(",")] for r, rows in FIRST_ROWS.findall(log)}
    assert sorted(firsts) == [0, 1], log[-3000:]
    train = pd.read_parquet(repo.path("data/sft/train.parquet"), columns=["source"])
    # the table train_and_save samples: data/sft's train rows, then the safety rows, then family E's train rows
    safety = safety_table(repo.path("data/safety/teacher.safetensors"))
    sources = [*train["source"], *["safety"] * int((safety["split"] == "train").sum()),
               *["affect"] * len(read_splits(repo.path("data/affect/dataset.jsonl"))["train"])]
    global_batch = MixtureSampler(sources, repo.params()["sft"]["mixture"]["alpha"], 0).batch(4)
    assert firsts[0] == global_batch[:2] and firsts[1] == global_batch[2:]
    assert firsts[0] != firsts[1]

    # only the main process wrote: one checkpoint, one set of outs, the same files as one process, no leftovers
    assert log.count("checkpoint at step 3") == 1 and log.count("wrote models/sft") == 1, log[-3000:]
    assert out_files(repo) == one_files
    assert not repo.path("checkpoints/sft").exists()
    assert not [p for p in repo.root.rglob("*.tmp") if ".dvc" not in p.parts]
    assert repo.read_json("logs/train_sft.json")["resumed_from"] == 0

    # the outs load with the project's loaders and reproduce the recorded validation figures
    check_outs_reproduce_validation(repo, two)

    # finite losses, and close to the one-process run (docs/sharing-and-scaling.md "Scaling out" says why this tolerance)
    losses = {k: v for k, v in two.items() if k.startswith("loss.")}
    assert losses and all(math.isfinite(v) for v in losses.values())
    for key in ("loss.validation.lm", "loss.validation.emotion", "loss.validation.strategy", "loss.validation.total"):
        assert two[key] == pytest.approx(one[key], rel=0.02), (key, one[key], two[key])
    for key in ("emotion.validation.accuracy", "strategy.validation.accuracy"):
        assert abs(two[key] - one[key]) <= 1 / one[key.replace("accuracy", "n")] + 1e-9, (key, one[key], two[key])
    print(f"\none process {one_s:.0f} s, two processes {two_s:.0f} s; validation losses "
          + ", ".join(f"{k.split('.')[-1]} {one[k]:.4f} vs {two[k]:.4f}" for k in sorted(losses) if "validation" in k))

    # the outs of the torchrun run are recorded by DVC like any other run
    repo.run("dvc", "commit", "-f", "train_sft")
    assert "train_sft" not in repo.run("dvc", "status", "train_sft").stdout


def check_outs_reproduce_validation(repo, metrics):
    import json as _json

    from safetensors import safe_open

    from affectlab.models import load_adapter, load_base
    from affectlab.sft.model import MultiTaskSFT, load_heads_into
    from affectlab.sft.run import TABLE_COLUMNS
    from affectlab.sft.train import eval_subset, evaluate

    with safe_open(repo.path("models/sft/heads.safetensors"), "pt") as f:
        sizes = {n: len(_json.loads(f.metadata()[f"labels.{n}"])) for n in _json.loads(f.metadata()["heads"])}
    manifest = repo.read_json("models/sft/manifest.json")
    base, tok = load_base(repo.path("models/base"))
    model = MultiTaskSFT(load_adapter(base, repo.path("models/sft/adapter")), sizes, manifest["loss_weights"])
    load_heads_into(model, repo.path("models/sft/heads.safetensors"))
    val = eval_subset(pd.read_parquet(repo.path("data/sft/validation.parquet"), columns=TABLE_COLUMNS), 24)
    m = evaluate(model, val, 4, tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id, "cpu")
    assert m["loss.lm"] == pytest.approx(metrics["loss.validation.lm"], abs=2e-3)
    assert m["emotion.accuracy"] == pytest.approx(metrics["emotion.validation.accuracy"], abs=1e-6)


def test_two_queued_experiments_run_side_by_side_without_sharing_outs_or_checkpoints(repo):
    common = ["-S", "sft.train.max_steps=4", "-S", "sft.train.checkpoint_every=2", "-S", "sft.train.eval_every=4"]
    for name, strategy in (("strat-0", 0), ("strat-1", 1.0)):
        repo.run("dvc", "exp", "run", "--queue", "train_sft", "--name", name, "-S", f"loss.strategy={strategy}",
                 *common)
    repo.run("dvc", "queue", "start", "-j", "2")
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        status = repo.run("dvc", "queue", "status").stdout
        if not re.search(r"\b(Queued|Running)\b", status):
            break
        time.sleep(5)
    repo.run("dvc", "queue", "stop", "--kill", check=False)
    assert status.count("Success") == 2, status

    logs = {name: repo.run("dvc", "queue", "logs", name).stdout for name in ("strat-0", "strat-1")}
    for name, text in logs.items():
        # each experiment checkpointed into its own workspace and never saw the other's checkpoint
        assert "checkpoint at step 2 -> checkpoints/sft" in text, text[-3000:]
        assert "resuming" not in text and "another configuration" not in text, text[-3000:]

    shown = json.loads(repo.run("dvc", "exp", "show", "--json").stdout)
    exps = {e["name"]: e for rev in shown for e in exps_of(rev)}
    assert {"strat-0", "strat-1"} <= set(exps), list(exps)
    got = {}
    for name in ("strat-0", "strat-1"):
        data = exps[name]["data"]
        params = data["params"]["params.yaml"]["data"]
        metrics = data["metrics"]["metrics/sft_train.json"]["data"]
        assert params["sft"]["train"]["max_steps"] == 4 and metrics["steps"] == 4
        got[name] = (params["loss"]["strategy"], metrics)
    assert got["strat-0"][0] == 0 and got["strat-1"][0] == 1.0
    # loss.strategy=0 removes the strategy head: its metrics exist in one experiment only
    assert not {"loss.validation.strategy", "strategy.validation.accuracy"} & set(got["strat-0"][1])
    assert got["strat-1"][1]["loss.validation.strategy"] > 0 and "strategy.validation.accuracy" in got["strat-1"][1]
    assert got["strat-0"][1]["loss.validation.emotion"] != got["strat-1"][1]["loss.validation.emotion"]
    assert got["strat-0"][1]["loss.validation.total"] != got["strat-1"][1]["loss.validation.total"]

    # each experiment's outs are its own: the models/sft its dvc.lock records (in the cache) has a manifest
    # with that experiment's params and heads (`dvc exp apply` would also check out the never-run stages)
    seen = set()
    for name, strategy in (("strat-0", 0), ("strat-1", 1.0)):
        manifest = json.loads(cached_file(repo, exps[name]["rev"], "models/sft", "manifest.json"))
        assert manifest["params"]["loss"]["strategy"] == strategy
        assert ("strategy" in manifest["heads"]) == (strategy > 0)
        seen.add(manifest["fingerprint"])
    assert len(seen) == 2


def cached_file(repo, rev: str, out: str, rel: str) -> str:
    """A file inside directory out `out` as recorded in `rev`'s dvc.lock, read from the DVC cache."""
    import yaml

    lock = yaml.safe_load(repo.run("git", "show", f"{rev}:dvc.lock").stdout)
    md5 = next(o["md5"] for st in lock["stages"].values() for o in st.get("outs", []) if o["path"] == out)
    listing = json.loads(repo.path(f".dvc/cache/files/md5/{md5[:2]}/{md5[2:]}").read_text())
    entry = next(e["md5"] for e in listing if e["relpath"] == rel)
    return repo.path(f".dvc/cache/files/md5/{entry[:2]}/{entry[2:]}").read_text()


def exps_of(rev):
    """Experiments under one baseline row of `dvc exp show --json` (DVC 3 layout)."""
    for exp in rev.get("experiments") or []:
        for e in exp.get("revs", []):
            yield e
