"""Tools: embed, topics, track, align (corpus in, results stored under a key)."""

from textmine.tl.embed import embed
from textmine.tl.topics import topics

__all__ = ["embed", "topics"]
