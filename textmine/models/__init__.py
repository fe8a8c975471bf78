"""scikit-learn-style estimators (embedder, topic model adapter), with no Corpus knowledge."""

__all__: list[str] = []
