"""``align``: topics against the human codes."""

from __future__ import annotations

from textmine.config.base import Section


class AlignConfig(Section):
    """Topics against human codes (filled by the alignment step)."""
