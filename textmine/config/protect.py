"""``protect``: pseudonymisation before anything is embedded or written."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from textmine.config.base import Section, not_blank

PatternKind = Literal["email", "phone", "nhs_number", "postcode", "url"]
PATTERN_KINDS: tuple[str, ...] = ("email", "phone", "nhs_number", "postcode", "url")


class ProtectConfig(Section):
    """Pseudonymisation: roster names and identifier patterns, replaced before anything else."""

    roster: str | None = Field(
        None, description="CSV/XLSX/YAML: name, kind (person/organisation/place), "
        "optional pseudonym and aliases")
    patterns: list[PatternKind] = Field(
        default_factory=lambda: list(PATTERN_KINDS),
        description="identifier patterns to replace (all by default)")
    custom: dict[str, str] = Field(
        default_factory=dict,
        description="LABEL -> regular expression of further identifiers, replaced by [LABEL]")
    name_parts: bool = Field(
        True, description="also replace a roster person's first name or surname on its own")
    map_file: str | None = Field(
        None, description="write the pseudonym map here (outside the run folder); "
        "default: never written")
    verify: bool = Field(
        True, description="check every written file for identifiers before a run folder "
        "or corpus folder is put in place")

    @field_validator("roster", "map_file")
    @classmethod
    def _paths_named(cls, value: str | None) -> str | None:
        return not_blank(value)

    @field_validator("custom")
    @classmethod
    def _custom_patterns(cls, value: dict[str, str]) -> dict[str, str]:
        for label, pattern in value.items():
            if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", label):
                raise ValueError(f"label {label!r} must be letters, digits and _")
            try:
                compiled = re.compile(pattern)
            except re.error as exc:
                raise ValueError(
                    f"regular expression for {label!r} does not compile: {exc}") from None
            if compiled.match(""):
                raise ValueError(f"regular expression for {label!r} matches empty text")
        return value
