"""Class-based TF-IDF terms of groups of texts, as BERTopic computes them, made explicit.

The texts of each class (one topic within one bin) are counted together. With ``counts`` the
``(n_classes, n_terms)`` matrix of term counts:

``tf[c, t] = counts[c, t] / sum_t counts[c, t]``   (L1 normalisation of each class)

``tf = sqrt(tf)``                                  (frequent words damped, as topics do)

``idf[t] = log(1 + A / f[t])``   with ``f[t] = sum_c counts[c, t]`` and ``A`` the mean number
of counted words per class (an integer, as in BERTopic's ``ClassTfidfTransformer``)

``weight = tf * idf``. Terms are counted with the same stop words, fillers and n-grams as the
topics, segment by segment in chunks (``chunk_size`` segments at a time, each chunk's sparse
class x term counts added to the total): the same counts as counting each class's segments
joined, since no n-gram crosses two segments, without holding a class's text or its token
list at once. The classes compared are only those given: computed within one bin, a term is
weighed against the other topics of that bin, not the whole corpus. No Corpus knowledge here.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse

from textmine.models.terms import term_vectorizer

#: segments counted at a time: a chunk's token list stays a few MB
CHUNK_SIZE = 8192


def class_counts(texts: Sequence[str], classes: Sequence[int], *,
                 chunk_size: int = CHUNK_SIZE,
                 **vectorizer_options) -> tuple[np.ndarray, sparse.csr_matrix, np.ndarray]:
    """``(class_ids, counts, vocabulary)``: term counts of each class, counted in chunks.

    ``counts[i, j]`` is how often ``vocabulary[j]`` occurs in the texts of class
    ``class_ids[i]``; ``vectorizer_options`` go to
    :func:`~textmine.models.terms.term_vectorizer`.
    """
    texts = list(texts)
    classes = np.asarray(classes)
    if len(texts) != len(classes):
        raise ValueError(f"{len(texts)} texts but {len(classes)} classes")
    ids, position = np.unique(classes, return_inverse=True)
    vocab: dict[str, int] = {}
    rows, cols, data = [], [], []
    for start in range(0, len(texts), chunk_size):
        chunk = texts[start:start + chunk_size]
        counter = term_vectorizer(**vectorizer_options)
        try:
            X = counter.fit_transform(chunk)
        except ValueError:  # nothing but stop words in this chunk
            continue
        column = np.fromiter((vocab.setdefault(t, len(vocab))
                              for t in counter.get_feature_names_out()),
                             dtype=np.int64, count=X.shape[1])
        member = sparse.csr_matrix(
            (np.ones(len(chunk)), (position[start:start + len(chunk)], np.arange(len(chunk)))),
            shape=(len(ids), len(chunk)))
        summed = (member @ X).tocoo()
        rows.append(summed.row)
        cols.append(column[summed.col])
        data.append(summed.data)
    vocabulary = np.empty(len(vocab), dtype=object)
    for term, j in vocab.items():
        vocabulary[j] = term
    if not vocab:
        return ids, sparse.csr_matrix((len(ids), 0)), vocabulary
    counts = sparse.coo_matrix((np.concatenate(data), (np.concatenate(rows),
                                                       np.concatenate(cols))),
                               shape=(len(ids), len(vocab))).tocsr()  # sums repeats
    return ids, counts.astype(float), vocabulary


def class_terms(texts: Sequence[str], classes: Sequence[int], *, n_terms: int = 10,
                reduce_frequent_words: bool = True, chunk_size: int = CHUNK_SIZE,
                **vectorizer_options) -> dict[int, list[tuple[str, float]]]:
    """The ``n_terms`` highest-weighted terms of each class, ``{class: [(term, weight)]}``.

    Parameters
    ----------
    texts
        One text per segment.
    classes
        The class (topic) of each text; every class present is weighed, outliers (-1)
        included when given, as BERTopic counts them.
    n_terms
        Terms kept per class.
    reduce_frequent_words
        Damp frequent words (square root of the term frequency), as the topics do.
    chunk_size
        Segments counted at a time (the result does not depend on it).
    **vectorizer_options
        ``stop_words``, ``fillers``, ``ngram_range`` of
        :func:`~textmine.models.terms.term_vectorizer`.

    A class without any countable word gets no terms.
    """
    ids, counts, vocabulary = class_counts(texts, classes, chunk_size=chunk_size,
                                           **vectorizer_options)
    out: dict[int, list[tuple[str, float]]] = {int(c): [] for c in ids}
    if not counts.shape[1]:
        return out
    freq = np.asarray(counts.sum(axis=0)).ravel()
    totals = np.asarray(counts.sum(axis=1)).ravel()
    average = int(totals.mean())
    idf = np.log(average / np.maximum(freq, 1e-12) + 1)
    for c in range(counts.shape[0]):
        if totals[c] == 0:
            continue
        row = counts.getrow(c)
        tf = row.data / totals[c]
        if reduce_frequent_words:
            tf = np.sqrt(tf)
        weight = tf * idf[row.indices]
        terms = vocabulary[row.indices]
        # highest weight first, ties broken by the term itself: the order never depends on
        # the sparse layout or the chunks
        order = np.lexsort((terms.astype(str), -weight))[:n_terms]
        out[int(ids[c])] = [(str(terms[i]), float(weight[i])) for i in order]
    return out
