"""Every stage's deps in dvc.yaml cover the library modules its script imports (transitively), so a code
change re-runs exactly the stages it can affect (DESIGN.md §2)."""
import ast
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
STAGES = yaml.safe_load((REPO / "dvc.yaml").read_text())["stages"]
# the package __init__ only sets a threading policy (OMP_WAIT_POLICY), which cannot change an output
EXEMPT = {"src/affectlab/__init__.py"}


def module_file(name: str) -> Path | None:
    base = REPO / "src" / name.replace(".", "/")
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def affectlab_imports(path: Path, seen: set[Path]) -> set[Path]:
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("affectlab"):
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names if a.name.startswith("affectlab")]
        for name in names:
            parts = name.split(".")
            for i in range(1, len(parts) + 1):  # a submodule import runs its packages' __init__ too
                found = module_file(".".join(parts[:i]))
                if found and found not in seen:
                    seen.add(found)
                    affectlab_imports(found, seen)
    return seen


@pytest.mark.parametrize("name", sorted(STAGES))
def test_stage_deps_cover_the_library_code_it_imports(name):
    stage = STAGES[name]
    script = REPO / stage["cmd"].split()[1]
    deps = [str(d).rstrip("/") for d in stage["deps"]]
    assert str(script.relative_to(REPO)) in deps, f"{name}: its script is not a dep"
    used = {p.relative_to(REPO).as_posix() for p in affectlab_imports(script, set())} - EXEMPT
    missing = sorted(u for u in used if not any(u == d or u.startswith(d + "/") for d in deps))
    assert not missing, f"dvc.yaml: stage {name} imports {missing} but does not list them in deps"
