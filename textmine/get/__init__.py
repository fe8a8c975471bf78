"""Tidy DataFrames out of stored results: the one source for figures and tables."""

from textmine.get.align import (
    alignment,
    autocode_cv,
    per_theme,
    per_topic,
    suggested_codes,
    theme_topic,
    triangulation,
)
from textmine.get.topics import (
    assignments,
    quality,
    quotes,
    segments_with_topics,
    stability,
    themes,
    topic_info,
    topic_terms,
)
from textmine.get.track import changes, contrasts, effects, prevalence, terms, track_summary

__all__ = ["alignment", "assignments", "autocode_cv", "changes", "contrasts", "effects",
           "per_theme", "per_topic", "prevalence", "quality", "quotes", "segments_with_topics",
           "stability", "suggested_codes", "terms", "theme_topic", "themes", "topic_info",
           "topic_terms", "track_summary", "triangulation"]
