"""The question each segment answers: the interviewer's last turn before it.

Human coders read an answer with its question in view; "Yes, definitely" means nothing
without it. ``tl.embed(context="prompt")`` embeds each segment followed by the end of that
question, which measured agreement with human codes far better (docs/topics.md); the
segment's own text, its terms and quotes are unchanged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def prompts(corpus, *, words: int = 40, role: str = "interviewer") -> pd.Series:
    """For every segment, the last ``words`` words of the latest ``role`` turn before it.

    Empty where there is none (the first turns, a segment that is itself such a turn, or a
    corpus without interviewer turns). Aligned with ``corpus.segments``.
    """
    turns = corpus.turns.sort_values(["doc_id", "turn"], kind="stable")
    asked = turns["text"].where(turns["role"] == role)
    # the prompt in force at a turn is the latest interviewer turn strictly before it
    previous = asked.groupby(turns["doc_id"], sort=False).transform(
        lambda s: s.ffill().shift(1))
    lookup = dict(zip(zip(turns["doc_id"], turns["turn"], strict=True), previous, strict=True))
    segs = corpus.segments
    out = []
    for doc_id, turn, seg_role in zip(segs["doc_id"], segs["turn"], segs["role"], strict=True):
        text = lookup.get((doc_id, int(turn)))
        if seg_role == role or text is None or (isinstance(text, float) and np.isnan(text)):
            out.append("")
        else:
            out.append(" ".join(str(text).split()[-words:]))
    return pd.Series(out, index=segs.index, dtype="str")
