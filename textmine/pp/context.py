"""The question each segment answers: the interviewer's last turn before it.

Human coders read an answer with its question in view; "Yes, definitely" means nothing
without it. ``tl.embed(context="prompt")`` embeds each segment followed by the end of that
question, which measured agreement with human codes far better (docs/topics.md); the
segment's own text, its terms and quotes are unchanged.
"""

from __future__ import annotations

import pandas as pd


def prompts(corpus, *, words: int = 40, role: str = "interviewer") -> pd.Series:
    """For every segment, the last ``words`` words of the latest ``role`` turn before it.

    Empty where there is none (the first turns, a segment that is itself such a turn, or a
    corpus without interviewer turns). Aligned with ``corpus.segments``.
    """
    turns = corpus.turns.sort_values(["doc_id", "turn"], kind="stable")
    asked = turns["text"].where(turns["role"] == role)
    # the prompt in force at a turn is the latest interviewer turn strictly before it
    # (grouped ffill then shift: the same as a per-document lambda, without a Python call
    # per document, which cost ~4 s at 100,000 segments)
    by_doc = turns["doc_id"]
    previous = asked.groupby(by_doc, sort=False).ffill().groupby(by_doc, sort=False).shift(1)
    # many segments share a prompt: cut each turn's prompt to its last words once
    tail = {key: " ".join(str(text).split()[-words:])
            for key, text in zip(zip(by_doc, turns["turn"], strict=True), previous,
                                 strict=True)
            if isinstance(text, str)}
    segs = corpus.segments
    out = ["" if seg_role == role else tail.get((doc_id, int(turn)), "")
           for doc_id, turn, seg_role in zip(segs["doc_id"], segs["turn"], segs["role"],
                                             strict=True)]
    return pd.Series(out, index=segs.index, dtype="str")
