"""Small matplotlib figures that look the same on every run.

The figures are closed before they are returned, so a notebook shows each one
exactly once (as the cell's value) and no figure piles up in pyplot's memory.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
from matplotlib.figure import Figure


def line_plot(
    x: Sequence[float],
    series: Mapping[str, Sequence[float]],
    *,
    title: str,
    xlabel: str,
    ylabel: str,
    logx: bool = False,
    logy: bool = False,
) -> Figure:
    """Plot each named series against ``x`` with markers; return the figure.

    >>> fig = line_plot([1, 2], {"a": [1, 4]}, title="t", xlabel="x", ylabel="y")
    >>> [line.get_label() for line in fig.axes[0].get_lines()]
    ['a']
    """
    for name, ys in series.items():
        if len(ys) != len(x):
            raise ValueError(f"series {name!r} has {len(ys)} points but x has {len(x)}")
    fig, ax = plt.subplots(figsize=(6.4, 3.6), layout="constrained")
    for name, ys in series.items():
        ax.plot(x, ys, marker="o", label=name)
    if logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    ax.grid(True, alpha=0.3)
    ax.legend()
    plt.close(fig)
    return fig
