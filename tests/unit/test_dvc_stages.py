"""dvc.yaml cannot drift from the code: each stage declares exactly the library modules its script imports
(transitively) and exactly the params sections it loads, so a code or param change re-runs exactly the
stages it can affect (DESIGN.md §2-3). `python tests/stage_graph.py STAGE` prints what to declare."""
import pytest

import stage_graph as graph

STAGES = graph.stages()


@pytest.mark.parametrize("name", sorted(STAGES))
def test_stage_deps_are_exactly_the_library_modules_its_script_imports(name):
    stage = STAGES[name]
    script = graph.script_of(stage)
    assert str(script.relative_to(graph.REPO)) in stage["deps"], f"{name}: its script is not a dep"
    used, declared = graph.imported_modules(script), graph.code_deps(stage["deps"])
    assert used - declared == set(), f"dvc.yaml: {name} imports {sorted(used - declared)} but does not list them"
    assert declared - used == set(), f"dvc.yaml: {name} lists {sorted(declared - used)} but never imports them"


@pytest.mark.parametrize("name", sorted(STAGES))
def test_stage_params_are_exactly_the_sections_its_script_loads(name):
    stage = STAGES[name]
    loaded = graph.loaded_sections(graph.script_of(stage))
    assert sorted(stage.get("params", [])) == sorted(loaded), f"dvc.yaml: {name} loads params {sorted(loaded)}"
