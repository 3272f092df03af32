"""The one matplotlib set-up of the project: stages render PNG charts headless (no display, no GUI backend)."""
from __future__ import annotations


def pyplot():
    """`matplotlib.pyplot` on the Agg backend; imported lazily so stages that draw nothing never load it."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt
