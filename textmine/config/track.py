"""``track``: topic and code prevalence over periods and groups."""

from __future__ import annotations

from textmine.config.base import Section


class TrackConfig(Section):
    """Topic prevalence over time and groups (filled by the tracking step)."""
