"""Topic quality computed on the corpus itself: NPMI coherence, diversity, agreement.

NPMI follows gensim's ``c_npmi`` (the measure OCTIS and the BERTopic paper report): boolean
sliding windows of 10 tokens over each tokenised document estimate word and pair
probabilities, NPMI is averaged over all pairs of a topic's top-10 words, then over topics.
Documents are tokenised as the topic terms were counted (lower case, fillers and stop words
removed). n-gram terms are split into their words first, keeping the first 10 distinct words.
Diversity is the share of distinct words among the top-k words of all topics (OCTIS's
``TopicDiversity``; k = 25 as in the BERTopic paper's text).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

EPS = 1e-12


def topic_words(terms: Sequence[str], n: int = 10) -> list[str]:
    """The first ``n`` distinct words of a topic's terms (n-grams split into words)."""
    words: list[str] = []
    for term in terms:
        for word in term.replace("_", " ").split():
            if word not in words:
                words.append(word)
    return words[:n]


def _window_counts(topics: list[list[str]], texts: Sequence[Sequence[str]], window: int | None,
                   gensim: bool = True):
    """Windows holding each topic word and each pair of them, and the number of windows.

    Per text, a boolean matrix (topic words present x windows) marks which windows hold
    which word; its row sums and Gram matrix give word and pair counts in one step.
    ``gensim=True`` reproduces gensim's sliding window exactly, including its quirk: when a
    token leaves the window it is dropped even if another copy of it is still inside, until
    a copy enters again. That is what the published figures were computed with.
    """
    vocab = sorted({w for t in topics for w in t})
    index = {w: i for i, w in enumerate(vocab)}
    occurrences = np.zeros(len(vocab), dtype=np.int64)
    pairs = np.zeros((len(vocab), len(vocab)), dtype=np.int64)
    n_windows = 0
    for text in texts:
        length = len(text)
        n_win = 1 if window is None or length <= window else length - window + 1
        n_windows += n_win
        hits: dict[int, list[int]] = {}
        for position, word in enumerate(text):
            i = index.get(word)
            if i is not None:
                hits.setdefault(i, []).append(position)
        if not hits:
            continue
        ids = np.fromiter(hits, dtype=np.int64)
        if n_win == 1:
            present = np.ones((len(ids), 1), dtype=np.int64)
        else:
            # window s holds position p when s <= p < s + window: mark [p-window+1, p]
            if gensim:
                present = np.zeros((len(ids), n_win), dtype=np.int64)
                for row, positions in enumerate(hits.values()):
                    pos = np.asarray(positions)
                    # a copy enters at window max(0, p - window + 1); it is dropped at p + 1
                    enter = np.full(n_win, -1)
                    enter[np.maximum(pos - window + 1, 0)] = np.maximum(pos - window + 1, 0)
                    drop = np.full(n_win, -1)
                    gone = pos + 1
                    drop[gone[gone < n_win]] = gone[gone < n_win]
                    last_in = np.maximum.accumulate(enter)
                    last_out = np.maximum.accumulate(drop)
                    present[row] = (last_in >= 0) & (last_in >= last_out)
            else:
                marks = np.zeros((len(ids), n_win + 1), dtype=np.int64)
                for row, positions in enumerate(hits.values()):
                    pos = np.asarray(positions)
                    np.add.at(marks[row], np.clip(pos - window + 1, 0, n_win), 1)
                    np.add.at(marks[row], np.clip(pos + 1, 0, n_win), -1)
                present = (np.cumsum(marks[:, :n_win], axis=1) > 0).astype(np.int64)
        occurrences[ids] += present.sum(axis=1)
        pairs[np.ix_(ids, ids)] += present @ present.T
    return index, occurrences, pairs, n_windows


def npmi(topics: Sequence[Sequence[str]], texts: Sequence[Sequence[str]], *,
         window: int | None = 10, gensim: bool = True,
         per_topic: bool = False) -> float | list[float]:
    """NPMI coherence of topics (lists of words) over tokenised texts.

    Parameters
    ----------
    topics
        Each topic's top words.
    texts
        The reference corpus, tokenised.
    window
        Sliding-window size in tokens (gensim's ``c_npmi`` uses 10); ``None`` counts
        co-occurrence in whole documents.
    gensim
        Count windows exactly as gensim does (see :func:`_window_counts`); ``False``
        counts true window contents (slightly higher scores).
    per_topic
        Return one score per topic instead of the mean.
    """
    topics = [list(t) for t in topics if len(t) > 1]
    if not topics:
        return [] if per_topic else float("nan")
    index, occ, pairs, n = _window_counts(topics, texts, window, gensim)
    scores = []
    for topic in topics:
        values = []
        for a, b in itertools.permutations(topic, 2):
            i, j = index[a], index[b]
            p_ij = pairs[i, j] / n
            p_i, p_j = occ[i] / n, occ[j] / n
            if p_i == 0 or p_j == 0:
                values.append(0.0 if p_ij == 0 else -1.0)
                continue
            values.append(math.log((p_ij + EPS) / (p_i * p_j)) / -math.log(p_ij + EPS))
        scores.append(float(np.mean(values)))
    return scores if per_topic else float(np.mean(scores))


def diversity(topics: Sequence[Sequence[str]], topk: int = 25) -> float:
    """Distinct words among the top-``topk`` words of all topics / (topk x topics)."""
    topics = [list(t)[:topk] for t in topics]
    if not topics:
        return float("nan")
    words = [w for t in topics for w in t]
    return len(set(words)) / (topk * len(topics))


def dominant_code(segment_ids: Sequence[str], segment_codes: pd.DataFrame) -> pd.Series:
    """Each segment's code with the largest overlap (NaN where uncoded); ties: first code."""
    best = (segment_codes.sort_values(["overlap_chars", "code"], ascending=[False, True],
                                      kind="stable")
            .drop_duplicates("segment_id").set_index("segment_id")["code"])
    return pd.Series(list(segment_ids), dtype="str").map(best)


#: what :func:`agreement` measures against, as its result names it (quality.json): the codes
#: as coded (no codebook level), each segment under the code of :func:`dominant_code`
AGREEMENT_BASIS = {"codes_level": "code", "codes_rule": "any"}


def agreement(topics: np.ndarray, codes: pd.Series) -> dict[str, float | int | str]:
    """ARI and NMI of topics against human codes, on the coded segments.

    Outliers count as one more cluster (-1): leaving them out would flatter the model.
    ``codes`` is one code per segment (:func:`dominant_code`: any overlap labels a segment,
    the code covering most of it wins); the result says so in ``codes_level`` and
    ``codes_rule`` (:data:`AGREEMENT_BASIS`), beside ``n_codes`` and ``n_coded_segments``,
    because ``align`` reports NMI and ARI too, at a codebook level and by its own rule.
    """
    mask = codes.notna().to_numpy()
    if mask.sum() < 2:
        return {"n_coded_segments": int(mask.sum())}
    labels = codes[mask].to_numpy()
    found = np.asarray(topics)[mask]
    return {
        "ari": float(adjusted_rand_score(labels, found)),
        "nmi": float(normalized_mutual_info_score(labels, found)),
        "n_coded_segments": int(mask.sum()),
        "n_codes": int(pd.Series(labels).nunique()),
        **AGREEMENT_BASIS,
    }
