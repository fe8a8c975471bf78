"""``segment``: how turns become analysis segments."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from textmine.config.base import Role, Section


class SegmentConfig(Section):
    """How turns become analysis segments."""

    unit: Literal["turn", "sentence", "window"] = Field(
        "turn", description="a segment is a speaker turn (split when longer than the model "
        "reads), a sentence, or a window of sentences within a turn (up to max_tokens); turn "
        "was chosen on every interview set (docs/topics.md)"
    )
    max_tokens: int = Field(128, ge=8, description="token budget of a window")
    overlap: int = Field(0, ge=0, description="sentences shared by consecutive windows")
    min_words: int = Field(3, ge=0, description="shorter segments are dropped")
    exclude_roles: list[Role] = Field(
        default_factory=lambda: ["interviewer"],
        description="roles kept as context but left out of the analysis",
    )
    where: dict[str, str | int | float | list[str | int | float]] = Field(
        default_factory=dict,
        description="analyse only the documents whose metadata match, e.g. {programme: TOCA} "
        "or {network: [North, East]} (corpus.filter); the rest are counted, not analysed")
    tokenizer: Literal["minilm", "words"] = Field(
        "minilm", description="what max_tokens counts: MiniLM word pieces or words"
    )
    model_max_tokens: int | None = Field(
        256, ge=16,
        description="what the embedding model reads, in MiniLM word pieces with its 2 special "
        "tokens; a longer segment is split by sentences into windows within its turn "
        "(counted, warned); none: never split (the model reads only the start)")
