"""Class-based TF-IDF terms of groups of texts, as BERTopic computes them, made explicit.

The texts of each class (one topic within one bin) are counted together. With ``counts`` the
``(n_classes, n_terms)`` matrix of term counts:

``tf[c, t] = counts[c, t] / sum_t counts[c, t]``   (L1 normalisation of each class)

``tf = sqrt(tf)``                                  (frequent words damped, as topics do)

``idf[t] = log(1 + A / f[t])``   with ``f[t] = sum_c counts[c, t]`` and ``A`` the mean number
of counted words per class (an integer, as in BERTopic's ``ClassTfidfTransformer``)

``weight = tf * idf``. Terms are counted with the same stop words, fillers and n-grams as the
topics. The classes compared are only those given: computed within one bin, a term is weighed
against the other topics of that bin, not the whole corpus. No Corpus knowledge here.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from textmine.models.terms import term_vectorizer


def class_terms(class_texts: Sequence[str], *, n_terms: int = 10,
                reduce_frequent_words: bool = True,
                **vectorizer_options) -> list[list[tuple[str, float]]]:
    """The ``n_terms`` highest-weighted terms of each class, ``[(term, weight), ...]``.

    ``class_texts`` holds one string per class (its texts joined with
    :func:`~textmine.models.terms.join_segments`). A class without any countable word gets
    no terms. ``vectorizer_options`` go to :func:`~textmine.models.terms.term_vectorizer`.
    """
    counter = term_vectorizer(**vectorizer_options)
    try:
        counts = counter.fit_transform(list(class_texts))
    except ValueError:  # nothing but stop words in every class
        return [[] for _ in class_texts]
    counts = counts.astype(float).tocsr()
    vocabulary = counter.get_feature_names_out()
    freq = np.asarray(counts.sum(axis=0)).ravel()
    totals = np.asarray(counts.sum(axis=1)).ravel()
    average = int(totals.mean())
    idf = np.log(average / np.maximum(freq, 1e-12) + 1)
    out = []
    for c in range(counts.shape[0]):
        row = counts.getrow(c)
        if totals[c] == 0:
            out.append([])
            continue
        tf = row.data / totals[c]
        if reduce_frequent_words:
            tf = np.sqrt(tf)
        weight = tf * idf[row.indices]
        # ties broken by the term itself, so that the order never depends on the sparse layout
        order = sorted(range(len(weight)), key=lambda i: (-weight[i], vocabulary[row.indices[i]]))
        out.append([(str(vocabulary[row.indices[i]]), float(weight[i]))
                    for i in order[:n_terms]])
    return out
