"""Tools: embed, topics, track, align (corpus in, results stored under a key)."""

from textmine.tl.embed import EmbedStats, embed

__all__: list[str] = ["EmbedStats", "embed"]
