"""Training curves are published whole: nothing at the out path until the run closes them."""
import csv

from affectlab.sft.curves import LiveCurves


def test_curves_appear_at_the_out_path_only_when_closed_and_hold_every_step(tmp_path):
    folder = tmp_path / "plots" / "sft_train"
    curves = LiveCurves(folder)
    for step in (1, 2, 3):
        curves(step, {"step": step, "train.loss.total": 1.0 / step})
        assert not folder.exists()  # a kill here leaves no curve cut short
    curves.close()
    with open(folder / "plots" / "metrics" / "train" / "loss" / "total.tsv") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    assert [(int(r["step"]), float(r["total"])) for r in rows] == [(1, 1.0), (2, 0.5), (3, 1 / 3)]
    assert [p.name for p in folder.parent.iterdir()] == ["sft_train"]  # no temporary folder left behind
