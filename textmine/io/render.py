"""The decoded text of files whose turns are records (captions, spreadsheet rows).

Such files have no running text to point into, so textmine renders one and offsets index it:
each turn is written as ``Speaker: text`` followed by a blank line, in file order. Read back
with the plain-text reader, the rendering gives the same turns (a property the tests check).
"""

from __future__ import annotations

from collections.abc import Iterable

from textmine.io.speakers import Turn


def render_turns(records: Iterable[tuple[str, str, float | None]]) -> tuple[str, list[Turn]]:
    """Render ``(speaker, text, start_time)`` records; return the text and the turns in it.

    Records with empty text are skipped.
    """
    parts: list[str] = []
    turns: list[Turn] = []
    pos = 0
    for speaker, text, start_time in records:
        body = text.strip()
        if not body:
            continue
        prefix = f"{speaker}: "
        start = pos + len(prefix)
        turns.append(Turn(speaker, start, start + len(body), start_time, "label"))
        chunk = f"{prefix}{body}\n\n"
        parts.append(chunk)
        pos += len(chunk)
    return "".join(parts), turns
