"""``align``: topics against the human codes."""

from __future__ import annotations

from pydantic import Field

from textmine.config.base import Section


class AlignConfig(Section):
    """Topics against human codes (filled by the alignment step)."""

    export_qdpx: bool = Field(
        True, description="write align/textmine.qdpx: topics (and suggested codes) as a "
        "REFI-QDA project for NVivo, ATLAS.ti, MAXQDA, QualCoder")
