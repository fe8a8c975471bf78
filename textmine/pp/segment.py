"""Turns to analysis segments: by turn, by sentence, or by windows of sentences.

Windows pack consecutive sentences of one turn up to a token budget (``max_tokens``, counted
with the embedding model's tokenizer), optionally sharing ``overlap`` sentences with the
previous window. A segment never crosses a speaker turn. A sentence longer than the budget
is cut between words. Segments shorter than ``min_words`` are dropped (and counted). Turns of
``exclude_roles`` (default: the interviewer) are not segmented; they stay in
``corpus.turns`` as context.

Whatever the unit, no segment is longer than the embedding model reads
(``model_max_tokens``, 256 MiniLM word pieces): a longer turn (or sentence) is split by
sentences into windows of about equal length within the turn, each keeping the turn's
speaker, role and number and its exact offsets; a sentence longer than that is cut between
words. How many were split is counted (``n_split_for_length``, ``n_split_pieces``) and
warned about, since without it the model would read only the first part.
"""

from __future__ import annotations

import math
import re
import warnings
from typing import Any

import pandas as pd

from textmine.config import SegmentConfig, validate_section
from textmine.errors import ConfigError, CorpusError, TextmineWarning
from textmine.pp.sentences import sentence_spans
from textmine.pp.tokens import MINILM_MAX_TOKENS, token_counter
from textmine.text import count_words

_WORD_SPAN = re.compile(r"\S+")


def _split_long(source: str, span: tuple[int, int], budget: int, count) -> list[tuple[int, int]]:
    """Cut one over-long sentence into word runs within the budget."""
    words = [(span[0] + m.start(), span[0] + m.end())
             for m in _WORD_SPAN.finditer(source[span[0]:span[1]])]
    sizes = count([source[s:e] for s, e in words])
    pieces, current, used = [], [], 0
    for (s, e), size in zip(words, sizes, strict=True):
        if current and used + size > budget:
            pieces.append((current[0][0], current[-1][1]))
            current, used = [], 0
        current.append((s, e))
        used += size
    if current:
        pieces.append((current[0][0], current[-1][1]))
    return pieces


def _windows(spans: list[tuple[int, int]], sizes: list[int], budget: int,
             overlap: int) -> list[tuple[int, int]]:
    """Pack sentence spans into windows of at most ``budget`` tokens."""
    out = []
    i = 0
    while i < len(spans):
        j, used = i, 0
        while j < len(spans) and (j == i or used + sizes[j] <= budget):
            used += sizes[j]
            j += 1
        out.append((spans[i][0], spans[j - 1][1]))
        if j >= len(spans):
            break
        # step back `overlap` sentences, but always move forward
        i = max(i + 1, j - overlap)
    return out


def _balanced(spans: list[tuple[int, int]], sizes: list[int],
              budget: int) -> list[tuple[int, int]]:
    """Pack sentence spans into windows of at most ``budget`` tokens, of about equal size.

    A 300-token turn becomes two windows of ~150 tokens, not one of 254 and a scrap of 46:
    each window aims at the tokens still to place divided by the windows still needed, and
    takes a sentence if at least half of it fits under that aim.
    """
    remaining = sum(sizes)
    n_left = max(1, math.ceil(remaining / budget))
    out, i = [], 0
    while i < len(spans):
        target = remaining / n_left
        j, used = i, 0
        while j < len(spans) and (j == i or (used + sizes[j] <= budget
                                             and used + sizes[j] / 2 <= target)):
            used += sizes[j]
            j += 1
        out.append((spans[i][0], spans[j - 1][1]))
        remaining -= used
        n_left = max(1, n_left - 1, math.ceil(remaining / budget))
        i = j
    return out


def split_for_model(corpus, doc_id: str, span: tuple[int, int], budget: int,
                    count) -> list[tuple[int, int]]:
    """Split one span into sentence windows of at most ``budget`` tokens (words if need be)."""
    source = corpus.sources[doc_id]
    sentences = sentence_spans(source, *span) or [span]
    sizes = count([corpus.span_text(doc_id, s, e) for s, e in sentences])
    pieces, piece_sizes = [], []
    for sentence, size in zip(sentences, sizes, strict=True):
        if size > budget:
            cut = _split_long(source, sentence, budget, count)
            pieces.extend(cut)
            piece_sizes.extend(count([corpus.span_text(doc_id, s, e) for s, e in cut]))
        else:
            pieces.append(sentence)
            piece_sizes.append(size)
    return _balanced(pieces, piece_sizes, budget)


def segment(corpus, **options: Any) -> None:
    """Segment the corpus's turns (in place).

    Parameters
    ----------
    corpus
        A Corpus with its source texts (as returned by ``textmine.io.read_transcripts``).
    **options
        Keys of the ``segment`` config section: ``unit`` (turn | sentence | window),
        ``max_tokens``, ``overlap``, ``min_words``, ``exclude_roles``, ``tokenizer``,
        ``model_max_tokens``.

    Notes
    -----
    Replaces ``corpus.segments``; embeddings and results of earlier segments are dropped.
    Stores the parameters and counts in ``corpus.uns["segment"]``.
    """
    cfg = validate_section(SegmentConfig, options, section="segment")
    if cfg.where:
        raise ConfigError("segment.where selects documents into a new corpus: call "
                          "corpus = corpus.filter(**where) after segmenting",
                          key="segment.where")
    if not corpus.sources:
        raise CorpusError("segmenting needs the source texts, which this corpus does not hold",
                          hint="read the transcripts with textmine.io.read_transcripts")
    count = token_counter(cfg.tokenizer)
    model_count = token_counter("minilm")
    limit = None if cfg.model_max_tokens is None else cfg.model_max_tokens - 2  # [CLS], [SEP]
    turns = corpus.turns[~corpus.turns["role"].isin(cfg.exclude_roles)]
    n_cut = n_split = n_split_pieces = 0
    # spans of every turn first, then one token count over all of them: a call per turn
    # (thousands of small batches) cost twice what the tokenizer needs at 100k segments
    spans_of: list[list[tuple[int, int]]] = []
    for doc_id, start, end in zip(turns["doc_id"], turns["start_char"], turns["end_char"],
                                  strict=True):
        spans_of.append([(start, end)] if cfg.unit == "turn" else
                        sentence_spans(corpus.sources[doc_id], start, end))
    doc_ids = turns["doc_id"].tolist()
    if cfg.unit == "window":
        flat = count([corpus.span_text(d, s, e) for d, spans in zip(doc_ids, spans_of,
                                                                      strict=True)
                      for s, e in spans])
        at = 0
        for k, (doc_id, spans) in enumerate(zip(doc_ids, spans_of, strict=True)):
            sizes, at = flat[at:at + len(spans)], at + len(spans)
            source = corpus.sources[doc_id]
            packed_spans, packed_sizes = [], []
            for span, size in zip(spans, sizes, strict=True):
                if size > cfg.max_tokens:
                    cut = _split_long(source, span, cfg.max_tokens, count)
                    n_cut += 1
                    packed_spans.extend(cut)
                    packed_sizes.extend(count([source[s:e] for s, e in cut]))
                else:
                    packed_spans.append(span)
                    packed_sizes.append(size)
            spans_of[k] = _windows(packed_spans, packed_sizes, cfg.max_tokens, cfg.overlap)
    # model tokens of every piece, counted once: for the split below and the check after it
    sizes_of: list[list[int]] | None = None
    if limit is not None:
        flat = model_count([corpus.span_text(d, s, e) for d, spans in zip(doc_ids, spans_of,
                                                                            strict=True)
                            for s, e in spans])
        at, sizes_of = 0, []
        for k, (doc_id, spans) in enumerate(zip(doc_ids, spans_of, strict=True)):
            sizes, at = flat[at:at + len(spans)], at + len(spans)
            fitted, fitted_sizes = [], []
            for span, size in zip(spans, sizes, strict=True):
                if size > limit:
                    split = split_for_model(corpus, doc_id, span, limit, model_count)
                    n_split += 1
                    n_split_pieces += len(split)
                    fitted.extend(split)
                    fitted_sizes.extend(model_count([corpus.span_text(doc_id, s, e)
                                                     for s, e in split]))
                else:
                    fitted.append(span)
                    fitted_sizes.append(size)
            spans_of[k] = fitted
            sizes_of.append(fitted_sizes)
    pieces: list[tuple[str, str, str, int, int, int]] = [  # doc, speaker, role, turn, s, e
        (doc_id, speaker, role, int(turn), s, e)
        for doc_id, speaker, role, turn, spans in zip(
            doc_ids, turns["speaker"], turns["role"], turns["turn"], spans_of, strict=True)
        for s, e in spans]
    texts = [corpus.span_text(p[0], p[4], p[5]) for p in pieces]
    keep = [count_words(t) >= cfg.min_words for t in texts]
    rows = [
        {"segment_id": f"{p[0]}:{p[4]}-{p[5]}", "doc_id": p[0], "speaker": p[1], "role": p[2],
         "turn": p[3], "start_char": p[4], "end_char": p[5], "text": t}
        for p, t, k in zip(pieces, texts, keep, strict=True) if k
    ]
    segments = pd.DataFrame(rows, columns=["segment_id", "doc_id", "speaker", "role", "turn",
                                           "start_char", "end_char", "text"])
    stats: dict[str, Any] = {
        **cfg.model_dump(mode="json"),
        "n_segments": len(segments),
        "n_dropped_short": len(pieces) - len(segments),
        "n_sentences_cut": n_cut,
        "n_split_for_length": n_split,
        "n_split_pieces": n_split_pieces,
    }
    if n_split:
        message = (f"{n_split} {cfg.unit}s were longer than the embedding model reads "
                   f"({cfg.model_max_tokens} tokens) and were split by sentences into "
                   f"{n_split_pieces} segments within their turns (segment.model_max_tokens)")
        corpus.uns.setdefault("warnings", []).append(message)
        warnings.warn(message, TextmineWarning, stacklevel=2)
    if len(segments):
        sizes = (model_count(segments["text"].tolist()) if sizes_of is None else
                 [n for n, k in zip((n for turn in sizes_of for n in turn), keep, strict=True)
                  if k])
        over = sum(size > (limit or MINILM_MAX_TOKENS - 2) for size in sizes)
        stats["n_over_model_limit"] = over
        if over:
            message = (f"{over} segments are longer than the embedding model's "
                       f"{MINILM_MAX_TOKENS} tokens and will be truncated when embedded; "
                       "set segment.model_max_tokens to split them")
            corpus.uns.setdefault("warnings", []).append(message)
            warnings.warn(message, TextmineWarning, stacklevel=2)
    if segments.empty:
        raise CorpusError(
            "segmentation left no segments",
            hint="check segment.exclude_roles, segment.min_words and the speaker roles")
    corpus.set_segments(segments)
    corpus.uns["segment"] = stats
