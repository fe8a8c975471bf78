"""Tidy DataFrames out of stored results: the one source for figures and tables."""

from textmine.get.topics import (
    assignments,
    quality,
    quotes,
    segments_with_topics,
    stability,
    topic_info,
)

__all__ = ["assignments", "quality", "quotes", "segments_with_topics", "stability",
           "topic_info"]
