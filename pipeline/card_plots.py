"""The dataset card's plots (`images/*.png`): the length distribution, the languages and the top
named entities. Drawn with matplotlib's Agg renderer at a fixed size and DPI, with its default
style (never a user's matplotlibrc) and no `Software` chunk, so the same release gives the same
bytes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from matplotlib import style
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from pipeline.card_stats import Stats
from pipeline.manifest import Release

IMAGES_DIR = "images"
TOP = 15  # bars in the language and entity plots
FIGSIZE, DPI = (7.0, 3.6), 100


def _figure() -> tuple[Figure, Any]:
    fig = Figure(figsize=FIGSIZE, dpi=DPI, layout="constrained")
    return fig, fig.subplots()


def _save(fig: Figure, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # No `Software` chunk (it carries matplotlib's version) and no date: bytes are the drawing.
    fig.savefig(path, format="png", dpi=DPI, metadata={"Software": None})


def plot_lengths(words: np.ndarray, path: Path) -> None:
    fig, ax = _figure()
    if len(words):
        ax.hist(words, bins=min(50, max(1, len(np.unique(words)))), color="#4c72b0")
        ax.axvline(float(np.median(words)), color="#c44e52", linestyle="--", label="median")
        ax.legend()
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("words per article")
    ax.set_ylabel("articles")
    ax.set_title("Length distribution")
    _save(fig, path)


def plot_bars(items: list[tuple[str, int]], title: str, xlabel: str, path: Path) -> None:
    fig, ax = _figure()
    # The largest at the top; `$` escaped, or matplotlib reads "$5m ... $" as mathtext.
    labels = [label.replace("$", r"\$") for label, _ in items][::-1]
    ax.barh(range(len(items)), [n for _, n in items][::-1], color="#4c72b0")
    ax.set_yticks(range(len(items)), labels)
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    _save(fig, path)


def write_plots(release: Path, r: Release, stats: Stats) -> dict[str, str]:
    """The card's plots as `images/*.png`; {what: relative path}."""
    images = release / IMAGES_DIR
    out = {
        "lengths": f"{IMAGES_DIR}/lengths.png",
        "languages": f"{IMAGES_DIR}/languages.png",
        "entities": f"{IMAGES_DIR}/entities.png",
    }
    languages = sorted(r.languages.items(), key=lambda kv: (-kv[1], kv[0]))
    top_entities = sorted(stats.entities.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP]
    with style.context("default"):  # never a user's matplotlibrc
        plot_lengths(stats.word_counts, images / "lengths.png")
        plot_bars(languages[:TOP], "Languages (py3langid)", "articles", images / "languages.png")
        plot_bars(
            [(f"{name} ({kind})", n) for (name, kind), n in top_entities],
            f"Top {TOP} named entities",
            "articles that name it",
            images / "entities.png",
        )
    return out
