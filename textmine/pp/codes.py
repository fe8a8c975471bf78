"""Human-coded spans onto segments, by character overlap; codes at a level of their hierarchy."""

from __future__ import annotations

import numpy as np
import pandas as pd

from textmine.corpus import SEGMENT_CODE_COLUMNS
from textmine.io.codes import PATH_JOIN


def code_at_level(code_path: str, level: int) -> str:
    """The ancestor of a code at ``level`` of the codebook (1 = top), as a path.

    A code is its own ancestor at its own depth and below it: analysing at level 2 keeps a
    level-1 code that has no children as it is. The result is the path down to that level
    (``"Barriers > Time"``), not only the last name, because names repeat under different
    parents.

    Parameters
    ----------
    code_path
        Levels joined by ``" > "`` (``corpus.codes["code_path"]``).
    level
        1 for the top level, 2 for the one below...

    Examples
    --------
    >>> code_at_level("Barriers > Time > Teaching load", 1)
    'Barriers'
    >>> code_at_level("Barriers > Time > Teaching load", 2)
    'Barriers > Time'
    >>> code_at_level("Other", 3)
    'Other'
    """
    if isinstance(level, bool) or not isinstance(level, int | np.integer) or level < 1:
        raise ValueError(f"level must be a whole number from 1 (the top), not {level!r}")
    return PATH_JOIN.join(code_path.split(PATH_JOIN)[:level])


def codes_at_level(code_paths: pd.Series | pd.DataFrame, level: int) -> pd.Series:
    """:func:`code_at_level` of every ``code_path`` (a Series, or a frame with that column)."""
    paths = code_paths["code_path"] if isinstance(code_paths, pd.DataFrame) else code_paths
    code_at_level("", level)  # the level is checked once, even for an empty column
    return paths.map(lambda p: code_at_level(p, level)).astype("str")


def map_codes(segments: pd.DataFrame, codes: pd.DataFrame, *, min_overlap: int = 1,
              lengths: bool = False) -> pd.DataFrame:
    """Every (segment, code) pair whose spans share at least ``min_overlap`` characters.

    Parameters
    ----------
    segments, codes
        The corpus's segments and coded spans.
    min_overlap
        Characters two spans must share.
    lengths
        Add ``segment_chars`` and ``span_chars`` (the lengths of the segment and of the coded
        span with the largest overlap): what a rule such as "majority" needs.

    Returns
    -------
    DataFrame
        ``segment_id, code, code_path, overlap_chars``; a code applied twice to one segment
        (two overlapping spans) appears once, with the larger overlap.
    """
    parts = []
    code_groups = dict(tuple(codes.groupby("doc_id", sort=False)))
    for doc_id, segs in segments.groupby("doc_id", sort=False):
        doc_codes = code_groups.get(doc_id)
        if doc_codes is None:
            continue
        s_start = segs["start_char"].to_numpy()[:, None]
        s_end = segs["end_char"].to_numpy()[:, None]
        c_start = doc_codes["start_char"].to_numpy()[None, :]
        c_end = doc_codes["end_char"].to_numpy()[None, :]
        overlap = np.minimum(s_end, c_end) - np.maximum(s_start, c_start)
        si, ci = np.nonzero(overlap >= min_overlap)
        if len(si):
            parts.append(pd.DataFrame({
                "segment_id": segs["segment_id"].to_numpy()[si],
                "code": doc_codes["code"].to_numpy()[ci],
                "code_path": doc_codes["code_path"].to_numpy()[ci],
                "overlap_chars": overlap[si, ci].astype("int64"),
                "segment_chars": (s_end - s_start)[si, 0].astype("int64"),
                "span_chars": (c_end - c_start)[0, ci].astype("int64"),
            }))
    columns = SEGMENT_CODE_COLUMNS + (["segment_chars", "span_chars"] if lengths else [])
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c.endswith("chars") else "str")
                             for c in columns})
    out = pd.concat(parts, ignore_index=True)
    out = (out.sort_values("overlap_chars", ascending=False, kind="stable")
              .drop_duplicates(["segment_id", "code"], keep="first"))
    order = {sid: i for i, sid in enumerate(segments["segment_id"])}
    out = out.assign(_o=out["segment_id"].map(order)).sort_values(["_o", "code"], kind="stable")
    return out.drop(columns="_o").reset_index(drop=True)[columns]
