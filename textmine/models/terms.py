"""Words that must not become topic terms: English stop words plus transcript fillers.

``textmine/data/fillers.txt`` holds fillers and hedges (``um``, ``yeah``, ``think``,
``you know``, ``kind of``...). Single words join scikit-learn's English stop-word list;
phrases are deleted from the text before terms are counted. :class:`TermVectorizer` counts
words and n-grams as scikit-learn's ``CountVectorizer`` does, except that

- an n-gram repeating a word (``buttons buttons``, from "buttons, buttons") is never a term:
  it says nothing the word alone does not, and pushes real terms out of the top ten;
- an n-gram never spans a sentence end (``.``, ``!``, ``?``, ``;``, ``:`` before a space or
  the end), a line break or :data:`SEGMENT_BREAK`: the texts of a topic are counted as one
  string, and ``completed_sorry`` (from "...completed. Sorry, ...") or a pair of words from
  two different segments is a term that no one said.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

#: Words of two or more letters, hyphens and apostrophes inside (``self-archiving``), never
#: at the end: "COVID-19" is ``covid``, not ``covid-``.
TOKEN_PATTERN = r"(?u)\b[a-zA-Z][a-zA-Z\-']*[a-zA-Z]\b"

#: Ends each text where texts are joined for counting (ASCII record separator): no n-gram
#: crosses it, and tokenizers of the embedding models drop it as a control character.
SEGMENT_BREAK = "\x1e"

_BREAKS = re.compile(r"[.!?;:]+(?!\w)|[\n\r\x1e]+")


def join_segments(texts: Iterable[str]) -> str:
    """The texts as one string for counting, with no n-gram across two of them."""
    return SEGMENT_BREAK.join(texts)


@lru_cache(maxsize=1)
def packaged_fillers() -> tuple[str, ...]:
    """Fillers and hedges shipped with textmine, lower case."""
    text = resources.files("textmine").joinpath("data/fillers.txt").read_text("utf-8")
    return tuple(line.strip().lower() for line in text.splitlines()
                 if line.strip() and not line.startswith("#"))


def split_terms(extra: Iterable[str] = (), *, fillers: bool = True,
                english: bool = True) -> tuple[list[str], list[str]]:
    """``(stop_words, phrases)``: single words for the vectorizer, phrases to delete first."""
    entries = list(packaged_fillers() if fillers else ()) + [e.lower().strip() for e in extra]
    words = {e for e in entries if " " not in e}
    phrases = sorted({e for e in entries if " " in e}, key=len, reverse=True)
    if english:
        words |= set(ENGLISH_STOP_WORDS)
    return sorted(words), phrases


def _bare(text: str) -> str:
    return text.lower().replace("\u2019", "").replace("'", "")


class PhraseRemover:
    """A picklable CountVectorizer preprocessor: lower-case, then delete filler phrases."""

    def __init__(self, phrases: Iterable[str]) -> None:
        self.phrases = list(phrases)
        # apostrophes go from phrases and text alike ("don't" -> "dont"): transcripts mix
        # straight and curly ones, and a phrase must match either spelling
        bare = sorted({_bare(p) for p in self.phrases}, key=len, reverse=True)
        self._pattern = (re.compile(r"\b(?:" + "|".join(re.escape(p) for p in bare) + r")\b")
                         if bare else None)

    def __call__(self, text: str) -> str:
        """The text in lower case, without apostrophes and filler phrases."""
        text = _bare(text)
        return self._pattern.sub(" ", text) if self._pattern is not None else text

    def __getstate__(self):
        return {"phrases": self.phrases}

    def __setstate__(self, state):
        self.__init__(state["phrases"])


def _distinct_words(term: str) -> bool:
    words = term.split()
    return len(words) == len(set(words))


class TermVectorizer(CountVectorizer):
    """scikit-learn's ``CountVectorizer`` with n-grams only within a sentence, of distinct words.

    Same parameters (word analyzer only). The text is cut at sentence ends, line breaks and
    :data:`SEGMENT_BREAK`, and each piece is counted as ``CountVectorizer`` counts a text;
    ``good good`` or ``data the data`` (stop word removed) are dropped from the vocabulary.
    """

    def build_analyzer(self):  # noqa: D102 - CountVectorizer's hook
        if self.analyzer != "word":
            raise ValueError(f"TermVectorizer counts words; analyzer={self.analyzer!r}")
        preprocess = self.build_preprocessor()
        tokenize = self.build_tokenizer()
        stop_words = self.get_stop_words()
        self._check_stop_words_consistency(stop_words, preprocess, tokenize)

        def terms(doc):
            out = []
            for piece in _BREAKS.split(preprocess(self.decode(doc))):
                out.extend(t for t in self._word_ngrams(tokenize(piece), stop_words)
                           if " " not in t or _distinct_words(t))
            return out

        return terms


def term_vectorizer(stop_words: Iterable[str] = (), *, fillers: bool = True,
                    ngram_range: tuple[int, int] = (1, 2)) -> TermVectorizer:
    """The term counter of the topics stage: its stop words, fillers, n-grams and tokens.

    Parameters
    ----------
    stop_words
        Extra stop words or phrases (the ``topics.stop_words`` setting).
    fillers
        Whether the packaged fillers and hedges are removed too.
    ngram_range
        Shortest and longest n-gram counted.
    """
    words, phrases = split_terms(stop_words, fillers=fillers)
    # min_df stays 1: BERTopic counts terms in one document per topic, so a higher min_df
    # would delete exactly the terms specific to one topic
    return TermVectorizer(stop_words=words, preprocessor=PhraseRemover(phrases),
                          ngram_range=tuple(ngram_range), token_pattern=TOKEN_PATTERN)
