"""Render the figures of docs/figures.md from a run folder of the example study.

    textmine run configs/example.yaml            # writes outputs/example/
    python bench/docs_figures.py outputs/example  # writes docs/img/*.png

The example run tracks by month only; for the group figures the script also tracks the
stored topics by participant (and participant x month) - a cheap table computation, no model
is fitted. The theme x topic figure is the run's own align result.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import textmine as tm
from textmine.pl.save import figure_bytes, frozen_layout

ROOT = Path(__file__).resolve().parents[1]


def main(run: str) -> None:
    corpus = tm.Corpus.read(Path(run) / "corpus")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # one session per participant: all cells flagged
        tm.tl.track(corpus, by=["participant"], date="session_date", freq="month",
                    cross=[["participant", "month"]], seed=0, key_added="by_participant")
    figures = {
        "topic_sizes": tm.pl.topic_sizes(corpus),
        "topic_terms": tm.pl.topic_terms(corpus),
        "topic_map": tm.pl.topic_map(corpus),
        "topic_stability": tm.pl.topic_stability(corpus),
        "prevalence_month": tm.pl.prevalence(corpus, "month"),
        "heatmap_participant": tm.pl.group_heatmap(corpus, "participant",
                                                   key="by_participant"),
        "group_period": tm.pl.group_period(corpus, "participant", "month",
                                           key="by_participant"),
        "theme_topic": tm.pl.theme_topic(corpus),
    }
    out = ROOT / "docs" / "img"
    out.mkdir(parents=True, exist_ok=True)
    for name, fig in figures.items():
        with frozen_layout(fig):  # 150 dpi keeps the repository small; runs write 300
            (out / f"{name}.png").write_bytes(figure_bytes(fig, "png", dpi=150))
        print(out / f"{name}.png")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "outputs/example")
