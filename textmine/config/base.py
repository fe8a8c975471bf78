"""What every config section shares: unknown keys are errors, values checked on assignment."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

Role = Literal["interviewer", "participant", "other", "unknown"]


def not_blank(value: str | None) -> str | None:
    """A file path that is given must name something (``""`` would mean the config folder)."""
    if value is not None and not value.strip():
        raise ValueError("is empty: name a file, or leave the key out")
    return value


def int_at_least(value, minimum: int, message: str):
    """``value`` unchanged unless it is an int below ``minimum`` (then ``ValueError(message)``).

    For fields that take a number or a word (``auto``, ``code``) or null, where pydantic's
    ``ge=`` would also have to be spelt per branch of the union.
    """
    if isinstance(value, int) and value < minimum:
        raise ValueError(message)
    return value


class Section(BaseModel):
    """A config section: unknown keys are errors, values are checked on assignment."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)
