"""Tidy DataFrames out of stored results: the one source for figures and tables."""

from textmine.get.topics import (
    assignments,
    quality,
    quotes,
    segments_with_topics,
    stability,
    topic_info,
    topic_terms,
)
from textmine.get.track import changes, contrasts, effects, prevalence, terms, track_summary

__all__ = ["assignments", "changes", "contrasts", "effects", "prevalence", "quality", "quotes",
           "segments_with_topics", "stability", "terms", "topic_info", "topic_terms",
           "track_summary"]
