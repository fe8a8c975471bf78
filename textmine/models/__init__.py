"""scikit-learn-style estimators (embedder, topic model adapter), with no Corpus knowledge."""

from textmine.models.embedder import SentenceEmbedder

__all__: list[str] = ["SentenceEmbedder"]
