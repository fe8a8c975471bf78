"""Tools: embed, topics, track, align (corpus in, results stored under a key)."""

__all__: list[str] = []
