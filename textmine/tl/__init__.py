"""Tools: embed, topics, track, align (corpus in, results stored under a key)."""

from textmine.tl.align import align
from textmine.tl.embed import EmbedStats, embed
from textmine.tl.embed import embedding_texts as embed_texts
from textmine.tl.topics import topics
from textmine.tl.track import track

__all__ = ["EmbedStats", "align", "embed", "embed_texts", "topics", "track"]
