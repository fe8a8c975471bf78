"""Figures drawn from stored results (never fitting, never writing files)."""

__all__: list[str] = []
