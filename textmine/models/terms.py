"""Words that must not become topic terms: English stop words plus transcript fillers.

``textmine/data/fillers.txt`` holds fillers and hedges (``um``, ``yeah``, ``think``,
``you know``, ``kind of``...). Single words join scikit-learn's English stop-word list;
phrases are deleted from the text before terms are counted. :class:`TermVectorizer` counts
words and n-grams as scikit-learn's ``CountVectorizer`` does, except that an n-gram repeating
a word (``buttons buttons``, from "buttons, buttons") is never a term: it says nothing the
word alone does not, and pushes real terms out of the top ten.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer


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
        # BERTopic strips punctuation before counting terms ("don't" -> "dont"), so phrases
        # and text are both compared without apostrophes
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
    """scikit-learn's ``CountVectorizer`` without n-grams that repeat a word.

    Same parameters; ``good good`` or ``data the data`` (stop word removed) are dropped from
    the vocabulary, single words and n-grams of distinct words are counted as usual.
    """

    def build_analyzer(self):  # noqa: D102 - CountVectorizer's hook
        analyze = super().build_analyzer()

        def terms(doc):
            return [t for t in analyze(doc) if " " not in t or _distinct_words(t)]

        return terms
