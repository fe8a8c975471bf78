"""``topics``: BERTopic topics over the segments."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from textmine.config.base import Section, int_at_least


class TopicsConfig(Section):
    """Topic discovery: BERTopic (UMAP, HDBSCAN, c-TF-IDF) with outliers reassigned."""

    enabled: bool = Field(True, description="run the topics step")
    embedding: str | None = Field(
        None, description="embeddings key to cluster (default: the only one there is)"
    )
    n_neighbors: int = Field(15, ge=2, description="UMAP neighbours (local vs global structure)")
    n_components: int = Field(5, ge=2, description="UMAP output dimensions")
    min_dist: float = Field(0.0, ge=0, description="UMAP min_dist")
    min_topic_size: int | Literal["auto"] = Field(
        "auto",
        description="HDBSCAN min_cluster_size; auto: 1% of the segments, between 10 and 40",
    )
    min_samples: int | Literal["auto"] | None = Field(
        "auto",
        description="HDBSCAN min_samples; auto: 3 when min_topic_size > 10 (else as HDBSCAN); "
        "none: equal to min_topic_size",
    )
    cluster_selection_method: Literal["eom", "leaf"] = Field(
        "eom", description="HDBSCAN: eom gives fewer, larger topics; leaf more, finer ones"
    )
    nr_topics: int | Literal["auto"] | None = Field(
        None, description="reduce to this many topics, at least 2 (or 'auto'); none: as found"
    )
    outlier_threshold: float | None = Field(
        0.3, ge=-1, le=1,
        description="reassign an outlier to the nearest topic at this cosine similarity; none: off",
    )
    representation: Literal["ctfidf", "keybert", "mmr"] = Field(
        "ctfidf", description="topic terms by c-TF-IDF, KeyBERT-inspired, or MMR (diverse)"
    )
    top_n_words: int = Field(10, ge=3, description="terms per topic")
    ngram_range: tuple[int, int] = Field(
        (1, 2), description="term lengths in words: [shortest, longest], 1 <= shortest <= "
        "longest <= 5")
    stop_words: list[str] = Field(
        default_factory=list, description="more words or phrases never used as terms"
    )
    fillers: bool = Field(True, description="exclude textmine's transcript fillers and hedges")
    seed_topics: Literal["none", "codebook"] = Field(
        "none", description="zero-shot topics from the codebook's codes and definitions"
    )
    seed_min_similarity: float = Field(
        0.5, ge=0, le=1, description="cosine similarity for a segment to join a seed topic"
    )
    n_quotes: int = Field(5, ge=1, description="representative quotes per topic")
    n_themes: int | Literal["auto"] | None = Field(
        "auto", description="group topics into this many themes (topics/themes.csv, merged by "
        "centroid similarity); auto: the cut with the best silhouette; none: no themes")
    stability_seeds: int = Field(
        3, ge=0, description="refits with other seeds for the stability report (0: none)"
    )
    min_stability: float = Field(
        0.6, ge=-1, le=1,
        description="warn (log, quality.json, stability.json) when the refits' mean pairwise "
        "ARI is below this")
    max_topic_share: float = Field(
        0.25, gt=0, le=1,
        description="a topic holding more than this share of the segments makes the result "
        "degenerate: warned, and remedied (on_degenerate)")
    min_topics: int = Field(
        3, ge=1, description="fewer topics than this makes the result degenerate")
    fit_sample: int | Literal["auto"] | None = Field(
        "auto",
        description="fit the topics on this many segments (every document represented, the "
        "rest in proportion, seeded) and assign the others to the nearest topic centroid: "
        "bounded memory on large corpora; auto: all up to 30,000 segments, a sample of "
        "20,000 beyond (warned); none: fit on all")
    n_jobs: int | Literal["auto"] = Field(
        "auto", description="processes for the UMAP fits of the seed and its stability refits "
        "(each seeded UMAP uses one core); auto: the cores available; the same result at any "
        "value")
    on_degenerate: Literal["remedy", "warn"] = Field(
        "remedy", description="remedy: also try leaf selection and smaller topics, keep the "
        "best by a label-free criterion (docs/topics.md); warn: only warn")

    @field_validator("n_jobs")
    @classmethod
    def _some_jobs(cls, value: int | str) -> int | str:
        return int_at_least(value, 1, "must be at least 1 (or 'auto')")

    @field_validator("fit_sample")
    @classmethod
    def _sample_size(cls, value: int | str | None) -> int | str | None:
        return int_at_least(value, 2,
                            "must be at least 2 (or 'auto', or null to fit on every segment)")

    @field_validator("nr_topics")
    @classmethod
    def _some_topics(cls, value: int | str | None) -> int | str | None:
        # BERTopic ignores 0 (and 1 would merge everything): neither is what was asked
        return int_at_least(value, 2,
                            "must be at least 2 (or 'auto', or null to keep the topics found)")

    @field_validator("n_themes")
    @classmethod
    def _some_themes(cls, value: int | str | None) -> int | str | None:
        return int_at_least(value, 1, "must be at least 1 (or 'auto', or null for no themes)")

    @field_validator("ngram_range")
    @classmethod
    def _ordered_range(cls, value: tuple[int, int]) -> tuple[int, int]:
        low, high = value
        if not 1 <= low <= high:
            raise ValueError(f"[{low}, {high}] is not [shortest, longest] with 1 <= shortest "
                             "<= longest, e.g. [1, 2]")
        if high > 5:
            raise ValueError(f"terms of up to {high} words would count every phrase of the "
                             "corpus: use at most 5")
        return value
