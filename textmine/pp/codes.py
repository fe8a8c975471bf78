"""Human-coded spans onto segments, by character overlap."""

from __future__ import annotations

import numpy as np
import pandas as pd

from textmine.corpus import SEGMENT_CODE_COLUMNS


def map_codes(segments: pd.DataFrame, codes: pd.DataFrame, *, min_overlap: int = 1) -> pd.DataFrame:
    """Every (segment, code) pair whose spans share at least ``min_overlap`` characters.

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
            }))
    if not parts:
        return pd.DataFrame({"segment_id": pd.Series(dtype="str"), "code": pd.Series(dtype="str"),
                             "code_path": pd.Series(dtype="str"),
                             "overlap_chars": pd.Series(dtype="int64")})
    out = pd.concat(parts, ignore_index=True)
    out = (out.sort_values("overlap_chars", ascending=False, kind="stable")
              .drop_duplicates(["segment_id", "code"], keep="first"))
    order = {sid: i for i, sid in enumerate(segments["segment_id"])}
    out = out.assign(_o=out["segment_id"].map(order)).sort_values(["_o", "code"], kind="stable")
    return out.drop(columns="_o").reset_index(drop=True)[SEGMENT_CODE_COLUMNS]
