"""Speaker roles from the config: names or regular expressions, case-insensitive."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from textmine.io.speakers import PREAMBLE_SPEAKER


def _compile(entries: Sequence[str]) -> list[tuple[str, re.Pattern[str] | None]]:
    compiled = []
    for entry in entries:
        try:
            pattern = re.compile(entry, re.IGNORECASE)
        except re.error:
            pattern = None  # not a regex: matched as a plain name only
        compiled.append((entry.strip().casefold(), pattern))
    return compiled


@dataclass
class RoleRules:
    """Assign ``interviewer`` / ``participant`` / ``other`` / ``unknown`` to speaker names.

    A speaker matches an entry if the names are equal ignoring case, or if the entry, read
    as a regular expression, matches the whole name. Interviewer entries are checked first,
    then ``other``, then participants. Without a participant list, every remaining speaker
    is a participant; with one, speakers matching nothing are ``unknown`` and reported.
    Text before the first label (``UNKNOWN``) is always ``unknown``.
    """

    interviewer: Sequence[str] = ("Interviewer", "I")
    participants: Sequence[str] | None = None
    other: Sequence[str] = ()

    def __post_init__(self) -> None:
        self._interviewer = _compile(list(self.interviewer))
        self._other = _compile(list(self.other))
        self._participants = (
            None if self.participants is None
            else _compile(list(self.participants))
        )

    @staticmethod
    def _matches(name: str, entries) -> bool:
        folded = name.strip().casefold()
        return any(folded == plain or (pat is not None and pat.fullmatch(name.strip()))
                   for plain, pat in entries)

    def role(self, speaker: str) -> str:
        """The role of one speaker name."""
        if speaker == PREAMBLE_SPEAKER:
            return "unknown"
        if self._matches(speaker, self._interviewer):
            return "interviewer"
        if self._matches(speaker, self._other):
            return "other"
        if self._participants is None or self._matches(speaker, self._participants):
            return "participant"
        return "unknown"
