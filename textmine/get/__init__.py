"""Tidy DataFrames out of stored results: the one source for figures and tables."""

__all__: list[str] = []
