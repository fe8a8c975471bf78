"""Tools: embed, topics, track, align (corpus in, results stored under a key)."""

from textmine.tl.embed import EmbedStats, embed
from textmine.tl.topics import topics

__all__ = ["EmbedStats", "embed", "topics"]
