"""Fault injection, for real (issue 14, item 1): every long stage is started with `dvc repro` in a subprocess,
killed with SIGKILL (its whole process group) once its own log says a checkpoint is durable, and run again.

Asserted per stage: while it runs, is killed and runs again, every file visible at one of its out paths is
either absent or byte-identical to the file the stage finally publishes (polled every few tenths of a second:
nothing half-written, no curve cut short); the second run logs where it resumed from; its outs equal an
uninterrupted run of the same stage byte for byte (md5 in dvc.lock); `dvc status` is clean afterwards.
A last case kills a stage between writing an out's temporary file and renaming it into place.

One repo for the module, a copy of the session's template: the stages upstream of a case are restored from
the run cache of the template's smoke run (seconds), the killed and the resumed run really run
(`--no-run-cache`), and the uninterrupted run to compare with is that smoke run itself, from its lock, where
the stage's deps and params are the same (else it is run here, `-f`). Every stage of dvc.yaml is either a
case here or listed in NOT_CHECKPOINTED with the reason, so a new or renamed stage fails
`test_every_stage_of_dvc_yaml_is_kill_tested_or_listed_as_short` until it is classified.
"""
from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml

from harness import REPO_ROOT
from kill_cases import CASES, NOT_CHECKPOINTED

pytestmark = [pytest.mark.pipeline, pytest.mark.reliability]


# The names atomic_path / atomic_dir give their temporary siblings: in flight, never an out themselves.
IN_FLIGHT = re.compile(r"^\..+\.(tmp|old)$")


@pytest.fixture(scope="module")
def fault_repo(dvc_template, tmp_path_factory):
    from harness import clone_template
    repo = clone_template(dvc_template, tmp_path_factory.mktemp("faults") / "repo")
    repo.smoke_lock = dvc_template.smoke_lock
    return repo


def test_every_stage_of_dvc_yaml_is_kill_tested_or_listed_as_short():
    stages = set(dvc_stages(REPO_ROOT))
    cased = {c.stage for c in CASES}
    assert not cased - stages, f"kill cases for stages dvc.yaml does not have (renamed?): {sorted(cased - stages)}"
    assert not set(NOT_CHECKPOINTED) - stages, f"listed stages dvc.yaml does not have: {sorted(set(NOT_CHECKPOINTED) - stages)}"
    assert not cased & set(NOT_CHECKPOINTED), sorted(cased & set(NOT_CHECKPOINTED))
    unclassified = stages - cased - set(NOT_CHECKPOINTED)
    assert not unclassified, (f"stages with neither a kill-and-resume case nor a reason they need none: "
                              f"{sorted(unclassified)}")


# ------------------------------------------------------------------------------------------- helpers ---
def dvc_stages(root: Path) -> dict[str, dict]:
    return yaml.safe_load((root / "dvc.yaml").read_text())["stages"]


def out_paths(stage: dict) -> list[str]:
    """outs, metrics and plots of a dvc.yaml stage (each a string or a one-key mapping)."""
    return [next(iter(o)) if isinstance(o, dict) else o
            for key in ("outs", "metrics", "plots") for o in stage.get(key, [])]


def upstream(root: Path, name: str) -> list[str]:
    """The stages that produce a dep of `name` (dvc repro of them brings everything upstream up to date)."""
    stages = dvc_stages(root)
    made_by = {out: other for other, s in stages.items() for out in out_paths(s)}
    return sorted({made_by[o] for dep in stages[name].get("deps", []) for o in made_by
                   if dep == o or dep.startswith(o.rstrip("/") + "/")})


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def snapshot(root: Path, outs: list[str]) -> dict[str, str]:
    """rel path -> md5 of every file now at the out paths (temporaries in flight skipped)."""
    seen = {}
    for out in outs:
        top = root / out
        files = [top] if top.is_file() else sorted(p for p in top.rglob("*") if p.is_file()) if top.is_dir() else []
        for f in files:
            rel = f.relative_to(root)
            if any(IN_FLIGHT.match(part) for part in rel.parts):
                continue
            try:
                seen[rel.as_posix()] = md5(f)
            except FileNotFoundError:  # replaced or removed between listing and reading: next poll sees it
                pass
    return seen


class OutWatcher:
    """Polls the out paths in a thread and keeps every (path, md5) it saw, and what was there before."""

    def __init__(self, root: Path, outs: list[str], every: float = 0.2):
        self.root, self.outs, self.every = root, outs, every
        self.seen: set[tuple[str, str]] = set()
        self.polls = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self.before = snapshot(self.root, self.outs)  # complete files of an earlier run (or committed metrics)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self._poll()  # the state left behind

    def _poll(self):
        self.seen.update(snapshot(self.root, self.outs).items())
        self.polls += 1

    def _run(self):
        while not self._stop.is_set():
            self._poll()
            self._stop.wait(self.every)


def dvc_env(repo, extra_pythonpath: str = "", **env: str) -> dict[str, str]:
    pythonpath = os.pathsep.join(p for p in (extra_pythonpath, str(repo.root / "src")) if p)
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "PYTHONPATH": pythonpath, "HF_HUB_OFFLINE": "1", "DVC_NO_ANALYTICS": "1", "PYTHONUNBUFFERED": "1",
            **env}


def repro_killed_at(repo, args: list[str], marker: str | None, env: dict[str, str],
                    timeout: float = 1800) -> tuple[str, bool]:
    """Run `dvc repro ARGS` in its own process group; SIGKILL the group when a line matches `marker`.
    Returns (output, killed)."""
    proc = subprocess.Popen(["dvc", "repro", *args], cwd=repo.root, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    lines, killed = [], False
    timer = threading.Timer(timeout, lambda: os.killpg(proc.pid, signal.SIGKILL))
    timer.start()
    try:
        for line in proc.stdout:
            lines.append(line)
            if marker and not killed and re.search(marker, line):
                os.killpg(proc.pid, signal.SIGKILL)  # dvc, the stage's python and anything they started
                killed = True
        proc.wait()
    finally:
        timer.cancel()
    return "".join(lines), killed


def lock_md5s(repo, stage: str) -> dict[str, str]:
    lock = yaml.safe_load((repo.root / "dvc.lock").read_text())["stages"][stage]
    return {o["path"]: o["md5"] for o in lock["outs"]}


def assert_clean(repo, stage: str) -> None:
    status = repo.run("dvc", "status", stage).stdout
    assert "up to date" in status, f"dvc status {stage} after the resumed run:\n{status}"


def assert_nothing_partial(watcher: OutWatcher, final: dict[str, str], what: str) -> None:
    """Every file seen is the one the stage finally published or the complete one there before the run."""
    partial = sorted(path for path, digest in watcher.seen if digest not in (final.get(path), watcher.before.get(path)))
    assert not partial, (f"{what}: {len(partial)} file(s) seen at an out path that are neither the old file nor "
                         f"what the stage finally published (half-written or cut short): {partial[:10]}")


# --------------------------------------------------------------------------------------------- tests ---
def reference_md5s(repo, stage: str, env: dict[str, str]) -> dict[str, str]:
    """The outs of an uninterrupted run: the smoke run's, where this repo's deps and params of the stage are the
    same as there (its lock entry says so); else an uninterrupted run here (`-f`, not from the run cache)."""
    now = yaml.safe_load((repo.root / "dvc.lock").read_text())["stages"][stage]
    smoke = repo.smoke_lock["stages"].get(stage)
    if smoke is not None and (smoke.get("deps"), smoke.get("params")) == (now.get("deps"), now.get("params")):
        return {o["path"]: o["md5"] for o in smoke["outs"]}
    log, _ = repro_killed_at(repo, ["-f", "--no-run-cache", "-s", stage], None, env)
    assert f"Running stage '{stage}'" in log and f"Stage '{stage}' is cached" not in log, log[-3000:]
    assert_clean(repo, stage)
    return lock_md5s(repo, stage)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.stage)
def test_a_stage_killed_after_a_checkpoint_resumes_and_equals_an_uninterrupted_run(fault_repo, case):
    repo, stage = fault_repo, case.stage
    before = upstream(repo.root, stage)
    if before:
        repo.repro(*before)  # restored from the smoke run's run cache where deps and params match
    outs = out_paths(dvc_stages(repo.root)[stage])
    env = dvc_env(repo)
    start = time.perf_counter()
    with OutWatcher(repo.root, outs) as killed_watch:
        killed_log, killed = repro_killed_at(repo, ["--no-run-cache", "-s", stage], case.kill_at, env)
    assert killed, f"{stage}: never printed {case.kill_at!r} (finished instead?)\n{killed_log[-3000:]}"
    left_after_kill = snapshot(repo.root, outs)
    with OutWatcher(repo.root, outs) as resumed_watch:
        resumed_log, _ = repro_killed_at(repo, ["--no-run-cache", "-s", stage], None, env)
    assert f"Running stage '{stage}'" in resumed_log, resumed_log[-3000:]
    assert re.search(case.resumed, resumed_log), f"{stage}: no resume line {case.resumed!r}\n{resumed_log[-4000:]}"
    assert_clean(repo, stage)
    resumed, final = lock_md5s(repo, stage), snapshot(repo.root, outs)
    assert_nothing_partial(killed_watch, final, f"{stage} (killed run; left after the kill: {sorted(left_after_kill)})")
    assert_nothing_partial(resumed_watch, final, f"{stage} (resumed run)")

    assert resumed == reference_md5s(repo, stage, env), f"{stage}: resumed outs differ from an uninterrupted run"
    print(f"{stage}: killed at {case.kill_at!r} ({killed_watch.polls} polls), resumed, identical; "
          f"{time.perf_counter() - start:.0f} s")


SITECUSTOMIZE = '''\
"""Test hook (never in the project): SIGKILL this process when it is about to rename a temporary file onto
AFFECTLAB_KILL_AT_REPLACE, in the stage script AFFECTLAB_KILL_IN only (not in dvc)."""
import os
import signal
import sys

_target, _script = os.environ.get("AFFECTLAB_KILL_AT_REPLACE"), os.environ.get("AFFECTLAB_KILL_IN", "")
if _target and sys.argv and sys.argv[0].endswith(_script):
    _replace = os.replace

    def _replace_or_die(src, dst, *args, **kwargs):
        if os.fspath(dst).endswith(_target):
            os.kill(os.getpid(), signal.SIGKILL)
        return _replace(src, dst, *args, **kwargs)

    os.replace = _replace_or_die
'''


# Any stage's atomic writer serves (io.atomic_path): the first stage of the DAG takes a second, where a
# generation stage would spend minutes regenerating before the kill.
@pytest.mark.parametrize("stage, out", [("sample_sft", "data/sft_audit/sample.parquet")])
def test_a_kill_while_an_out_is_renamed_into_place_leaves_it_absent_and_the_rerun_completes(
        fault_repo, tmp_path, stage, out):
    repo = fault_repo
    before = upstream(repo.root, stage)
    if before:
        repo.repro(*before)
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(SITECUSTOMIZE)
    outs = out_paths(dvc_stages(repo.root)[stage])
    script = dvc_stages(repo.root)[stage]["cmd"].split()[-1]
    env = dvc_env(repo, str(hooks), AFFECTLAB_KILL_AT_REPLACE=out, AFFECTLAB_KILL_IN=script)
    with OutWatcher(repo.root, outs) as killed_watch:
        killed_log, _ = repro_killed_at(repo, ["-f", "--no-run-cache", "-s", stage], None, env)
    assert re.search(r"failed to reproduce|ERROR", killed_log), killed_log[-3000:]  # the stage died
    assert not (repo.root / out).exists(), f"{out} present after a kill before its rename"
    left = sorted((repo.root / out).parent.glob(f".{Path(out).name}.*.tmp"))
    assert len(left) == 1, f"expected the temporary file the kill left behind, found {left}"

    with OutWatcher(repo.root, outs) as rerun_watch:
        rerun_log, _ = repro_killed_at(repo, ["-f", "--no-run-cache", "-s", stage], None, dvc_env(repo))
    assert f"Running stage '{stage}'" in rerun_log, rerun_log[-3000:]
    assert_clean(repo, stage)
    final = snapshot(repo.root, outs)
    assert md5(left[0]) == final[out]  # the kill came after the whole file was written, before the rename
    assert_nothing_partial(killed_watch, final, f"{stage} (killed at the rename)")
    assert_nothing_partial(rerun_watch, final, f"{stage} (re-run)")
    assert lock_md5s(repo, stage) == reference_md5s(repo, stage, dvc_env(repo))
