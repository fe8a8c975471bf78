"""Figures drawn from stored results (never fitting, never writing files).

Every function reads a stored result through :mod:`textmine.get`, returns a matplotlib
``Figure`` and accepts ``ax=`` where one axes makes sense; :func:`save_figures` writes them.
"""

from textmine.pl.align import theme_topic, theme_topic_table
from textmine.pl.save import figure_bytes, run_figures, save_figures
from textmine.pl.style import ONE_COLUMN, TWO_COLUMN
from textmine.pl.topics import map_coordinates, topic_map, topic_sizes, topic_stability, topic_terms
from textmine.pl.track import group_heatmap, group_period, prevalence

__all__ = ["ONE_COLUMN", "TWO_COLUMN", "figure_bytes", "group_heatmap", "group_period",
           "map_coordinates", "prevalence", "run_figures", "save_figures", "theme_topic",
           "theme_topic_table", "topic_map", "topic_sizes", "topic_stability", "topic_terms"]
