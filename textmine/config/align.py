"""``align``: topics (or themes) against the human codes, and machine-suggested codes."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from textmine.config.base import Section, int_at_least


class AlignConfig(Section):
    """Machine topics or themes beside the human coding (``align/``)."""

    enabled: bool = Field(True, description="run the align step (when there are topics and codes)")
    topics: str = Field("topics", description="the topics result to align")
    against: Literal["topics", "themes"] = Field(
        "topics", description="the machine side: topics, or the themes topics are grouped into "
        "(topics.n_themes)")
    level: int | Literal["code"] = Field(
        1, description="codebook level to align at (1 = top level; a code without children "
        "counts at its own level), or code: the codes as coded")
    parent: str | None = Field(
        None, description="only codes under this code path (e.g. 'Success factors'); level "
        "counts from the top of the codebook")
    rule: Literal["any", "majority", "min_chars"] = Field(
        "majority", description="when a coded span labels a segment: any overlap; majority: "
        "the overlap is at least half of the shorter of span and segment; min_chars: at least "
        "min_chars characters")
    min_chars: int = Field(20, ge=1, description="overlap needed with rule: min_chars")
    max_best_topics: int = Field(
        3, ge=1, description="at most this many topics are a theme's best topics")
    min_f1: float = Field(
        0.2, ge=0, le=1, description="a theme whose best topics reach a lower F1 is missed")
    min_share: float = Field(
        0.3, ge=0, le=1, description="a topic none of whose themes holds this share of its "
        "coded segments (or with fewer coded segments than this share) is emergent")
    n_boot: int = Field(200, ge=0, description="bootstrap resamples of interviews for the "
                        "intervals (0: none)")
    autocode: bool = Field(True, description="machine-suggested codes, evaluated by "
                           "cross-validation grouped by interview")
    embedding: str | None = Field(None, description="embeddings key for the suggested codes "
                                  "(default: the one the topics used)")
    folds: int = Field(5, ge=2, description="cross-validation folds (grouped by interview)")
    threshold: float | Literal["auto"] = Field(
        "auto", description="probability at which a code is suggested; auto: per code, the "
        "best F1 in an inner cross-validation on the training interviews only")
    min_examples: int = Field(
        8, ge=2, description="a code needs this many coded segments, in at least two "
        "interviews, to be learnt")
    export_qdpx: bool = Field(
        True, description="write align/textmine.qdpx: topics (and suggested codes) as a "
        "REFI-QDA project for NVivo, ATLAS.ti, MAXQDA, QualCoder")

    @field_validator("level")
    @classmethod
    def _level(cls, value: int | str) -> int | str:
        return int_at_least(value, 1, "must be 1 (the top of the codebook) or more, or 'code'")
