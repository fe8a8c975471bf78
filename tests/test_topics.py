"""Topics on the real example study: terms, outliers, agreement, determinism, reuse, quotes."""

from __future__ import annotations

import re
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

import textmine as tm
from textmine.models.terms import packaged_fillers
from textmine.tl.quality import agreement, diversity, dominant_code, npmi

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cache(tmp_path_factory, monkeypatch_module):
    folder = tmp_path_factory.mktemp("cache")
    monkeypatch_module.setenv("TEXTMINE_CACHE_DIR", str(folder))
    return folder


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


@pytest.fixture(scope="module")
def fitted(example_embedded, cache):
    corpus = example_embedded.copy()
    stats = {}
    tm.tl.topics(corpus, seed=0, stability_seeds=2, stats=stats)
    return corpus, stats


def test_terms_hold_no_fillers(fitted):
    corpus, _ = fitted
    fillers = set(packaged_fillers())
    for terms in tm.get.topic_info(corpus)["terms"]:
        for term in terms.split():
            words = term.split("_")
            assert " ".join(words) not in fillers, term
            assert not set(words) & {f for f in fillers if " " not in f}, term


def test_outliers_reassigned_and_reported(fitted):
    corpus, _ = fitted
    quality = tm.get.quality(corpus)
    assert quality["outlier_share"] <= 0.10
    # what HDBSCAN leaves is several times more
    assert quality["outlier_share_before_reassignment"] > 4 * quality["outlier_share"]
    assignments = tm.get.assignments(corpus)
    assert set(assignments["assignment"]) <= {"cluster", "reassigned", "outlier"}
    reassigned = assignments[assignments["assignment"] == "reassigned"]
    assert (reassigned["similarity"] >= 0.3).all()
    assert np.isclose((assignments["topic"] < 0).mean(), quality["outlier_share"])


def test_topic_info_matches_assignments(fitted):
    corpus, _ = fitted
    info = tm.get.topic_info(corpus)
    counts = tm.get.assignments(corpus)["topic"].value_counts()
    assert list(info["topic"]) == list(range(len(info)))
    assert all(info["size"].iloc[i] >= info["size"].iloc[i + 1] for i in range(len(info) - 1))
    for row in info.itertuples():
        assert counts[row.topic] == row.size
        assert row.label and len(row.terms.split()) == 10


def test_quotes_are_central_and_lead_back_to_the_source(fitted):
    corpus, _ = fitted
    quotes = tm.get.quotes(corpus)
    assert set(quotes["topic"]) == set(tm.get.topic_info(corpus)["topic"])
    assignments = tm.get.assignments(corpus).set_index("segment_id")
    for topic, group in quotes.groupby("topic"):
        assert list(group["rank"]) == list(range(1, len(group) + 1))
        members = assignments[assignments["topic"] == topic]["similarity"]
        assert group["similarity"].iloc[0] == pytest.approx(members.max())
    for row in quotes.itertuples():
        source = corpus.sources[row.doc_id]
        assert tm.text.normalize_ws(source[row.start_char:row.end_char]) == row.text


def test_agreement_with_human_codes_beats_bertopic_defaults(example_embedded, cache):
    """textmine's defaults against BERTopic's, on the same segments and seeded UMAP.

    BERTopic embeds the segment alone; textmine embeds it with the question it answers.
    """
    from bertopic import BERTopic
    from hdbscan import HDBSCAN

    from textmine.models.reduction import reduced_embeddings
    from textmine.models.topic_model import PrecomputedReduction

    corpus = example_embedded.copy()
    alone = example_embedded.copy()
    tm.tl.embed(alone, context="none")
    X = alone.embeddings["minilm"]
    assert not np.array_equal(X, corpus.embeddings["minilm"])
    codes = dominant_code(corpus.segments["segment_id"], corpus.segment_codes)
    ours, defaults = [], []
    for seed in (0, 1, 2):
        reduced, _ = reduced_embeddings(X, n_neighbors=15, n_components=5, min_dist=0.0,
                                        seed=seed)
        model = BERTopic(umap_model=PrecomputedReduction(X, reduced),
                         hdbscan_model=HDBSCAN(min_cluster_size=10, prediction_data=True))
        found, _ = model.fit_transform(corpus.segments["text"].tolist(), embeddings=X)
        defaults.append(agreement(np.asarray(found), codes))
        tm.tl.topics(corpus, seed=seed, stability_seeds=0)
        ours.append(tm.get.quality(corpus))
    # measured (bench/topics_agreement.py): ARI 0.153 vs 0.086, NMI 0.42 vs 0.32
    assert np.mean([q["ari"] for q in ours]) > 1.4 * np.mean([d["ari"] for d in defaults])
    assert np.mean([q["nmi"] for q in ours]) > 1.15 * np.mean([d["nmi"] for d in defaults])
    assert max(q["outlier_share"] for q in ours) <= 0.10


def test_same_seed_same_topics_and_umap_is_reused(example_embedded, cache):
    runs = []
    for _ in range(3):
        corpus = example_embedded.copy()
        stats = {}
        tm.tl.topics(corpus, seed=0, stability_seeds=0, stats=stats)
        runs.append((tm.get.assignments(corpus), tm.get.topic_info(corpus), stats))
    for assignments, info, _ in runs[1:]:
        assert assignments.equals(runs[0][0]) and info.equals(runs[0][1])
    assert [r[2]["umap_cache_hits"] for r in runs][1:] == [1, 1]


def test_clustering_only_change_reuses_umap(fitted, example_embedded):
    _, first = fitted
    corpus = example_embedded.copy()
    stats = {}
    tm.tl.topics(corpus, seed=0, stability_seeds=0, min_topic_size=15, min_samples=3,
                 stats=stats)
    assert stats["umap_cache_hits"] == 1 and stats["umap_cache_misses"] == 0
    assert stats["umap_seconds"] < 0.2 * first["umap_seconds"] / first["umap_cache_misses"]
    assert tm.get.quality(corpus)["n_topics"] != tm.get.quality(fitted[0])["n_topics"]


@pytest.mark.parametrize("options", [
    {}, {"outlier_threshold": None}, {"min_topic_size": 5, "cluster_selection_method": "leaf"},
    {"nr_topics": 8}])
def test_refit_partition_is_the_fit_topics(fitted, options):
    """The stability refits skip the terms; their topics must be those a full fit finds."""
    from textmine.models.reduction import reductions_for_seeds
    from textmine.models.topic_model import TopicModel

    corpus, _ = fitted
    X = next(iter(corpus.embeddings.values()))
    texts = corpus.segments["text"].tolist()
    reduced = reductions_for_seeds(X, [1], n_neighbors=15, n_components=5, min_dist=0.0)[1]
    model = TopicModel(**{"min_topic_size": 10, "random_state": 1, **options})
    found = model.partition(texts, X, reduced)
    fit = model.fit(texts, X, reduced=reduced)
    np.testing.assert_array_equal(found, fit.topics_)
    assert len(set(found.tolist()) - {-1}) >= 5
    if options.get("outlier_threshold", 0.3) is None:
        assert (found == -1).any()
    # numbered by size: topic 0 is the largest
    sizes = np.bincount(found[found >= 0])
    assert (np.diff(sizes) <= 0).all()


def test_stability_report(fitted):
    corpus, _ = fitted
    report = tm.get.stability(corpus)
    assert report["seeds"] == [0, 1, 2]
    assert 0.3 < report["mean_pairwise_ari"] <= 1
    assert len(report["pairwise_ari"]) == 3
    values = [t["stability"] for t in report["per_topic"]]
    assert len(values) == tm.get.quality(corpus)["n_topics"]
    assert all(0 <= v <= 1 for v in values) and max(values) > 0.8
    lost = [t["topic"] for t in report["per_topic"] if max(t["matched_topic"]) < 0]
    assert report["not_found_again"] == lost


def test_a_topic_no_refit_finds_is_named():
    from textmine.tl.stability import stability_report

    # the refits merge topics 1 and 2 into one: topic 2 is never a topic of its own again
    reference = np.array([0, 0, 0, 1, 1, 1, 2, 2, -1])
    merged = np.array([0, 0, 0, 1, 1, 1, 1, 1, -1])
    report = stability_report(reference, [merged, merged.copy()], [0, 1, 2])
    assert report["not_found_again"] == [2]
    assert report["mean_pairwise_ari"] > 0.6  # the whole partition still looks stable
    found = {t["topic"]: t["matched_topic"] for t in report["per_topic"]}
    assert found[2] == [-1, -1] and found[1] == [1, 1]
    # found again by one refit of two: not listed
    report = stability_report(reference, [merged, reference.copy()], [0, 1, 2])
    assert report["not_found_again"] == []


def test_reduce_to_a_requested_number_of_topics(example_embedded, cache):
    corpus = example_embedded.copy()
    with pytest.warns(tm.TextmineWarning, match="after merging to topics.nr_topics"):
        tm.tl.topics(corpus, seed=0, stability_seeds=0, nr_topics=12)
    quality = tm.get.quality(corpus)
    assert quality["n_topics"] <= 12
    # merging made the large topic, as asked: warned and recorded, no HDBSCAN "remedy"
    assert quality["degenerate"] and quality["remedy"] is None


@pytest.mark.parametrize("representation", ["keybert", "mmr"])
def test_other_representations_give_terms(example_embedded, cache, representation):
    corpus = example_embedded.copy()
    tm.tl.topics(corpus, seed=0, stability_seeds=0, representation=representation)
    info = tm.get.topic_info(corpus)
    assert info["terms"].str.split().str.len().min() >= 5


def test_codebook_seeds_name_topics(example_embedded, cache):
    corpus = example_embedded.copy()
    tm.tl.topics(corpus, seed=0, stability_seeds=0, seed_topics="codebook",
                 seed_min_similarity=0.4)
    info = tm.get.topic_info(corpus)
    codes = set(corpus.codes["code"])
    named = info[info["label"].isin(codes)]
    assert len(named) >= 3
    assignments = tm.get.assignments(corpus)
    assert (assignments["assignment"] == "zeroshot").sum() > 0


def test_jaccard_matrix_by_hand():
    from textmine.tl.stability import jaccard_matrix

    rng = np.random.default_rng(0)
    a = rng.integers(-1, 7, 500)
    b = np.where(rng.random(500) < 0.7, (a + 2) % 9, rng.integers(-1, 9, 500))
    b[b == 5] = 8  # a topic id with no segment in b: not a column
    ids_a, ids_b, jac = jaccard_matrix(a, b)
    assert ids_a.tolist() == sorted(set(a.tolist()) - {-1})
    assert ids_b.tolist() == sorted(set(b.tolist()) - {-1})
    for i, x in enumerate(ids_a):
        for j, y in enumerate(ids_b):
            one, other = set(np.flatnonzero(a == x)), set(np.flatnonzero(b == y))
            assert jac[i, j] == pytest.approx(len(one & other) / len(one | other))
    assert jaccard_matrix(a, np.full(500, -1))[2].shape == (len(ids_a), 0)


def test_topic_centroids_in_chunks_are_the_means(monkeypatch):
    from textmine.models import themes

    rng = np.random.default_rng(0)
    X = rng.normal(size=(3000, 16)).astype(np.float32)
    topics = rng.integers(-1, 9, 3000)
    ids = [5, 0, 3, 8, 1]  # not sorted, and topic 2, 4, 6, 7 left out
    unit = X.astype(np.float64) / np.linalg.norm(X.astype(np.float64), axis=1, keepdims=True)
    means = np.stack([unit[topics == t].mean(axis=0) for t in ids])
    expected = means / np.linalg.norm(means, axis=1, keepdims=True)
    monkeypatch.setattr(themes, "CENTROID_CHUNK", 700)  # chunks cut through every topic
    np.testing.assert_allclose(themes.topic_centroids(X, topics, ids), expected, atol=1e-12)


def test_npmi_and_diversity_by_hand():
    texts = [["a", "b", "c"], ["a", "b"], ["c", "d"], ["d", "e"]]
    # whole documents: P(a)=P(b)=P(a,b)=1/2 -> NPMI(a,b)=1; P(c)=P(d)=1/2, P(c,d)=1/4 -> 0
    assert npmi([["a", "b"]], texts, window=None) == pytest.approx(1.0)
    assert npmi([["c", "d"]], texts, window=None) == pytest.approx(0.0, abs=1e-9)
    # never together: gensim's epsilon makes it log(eps / P(a)P(e)) / -log(eps), not -1
    expected = np.log(1e-12 / (0.5 * 0.25)) / -np.log(1e-12)
    assert npmi([["a", "e"]], texts, window=None) == pytest.approx(expected)
    assert diversity([["a", "b"], ["b", "c"]], topk=2) == 0.75


def test_bad_options_name_the_key(example_embedded):
    corpus = example_embedded.copy()
    with pytest.raises(tm.TextmineError, match=re.escape("topics.min_topic_sise")):
        tm.tl.topics(corpus, min_topic_sise=5)
    with pytest.raises(tm.TextmineError, match="no embeddings 'static'"):
        tm.tl.topics(corpus, embedding="static")


def test_npmi_counts_windows_as_gensim_does():
    from textmine.tl.quality import _window_counts

    # windows of 2 over "a a b": [a a], [a b]. gensim drops "a" when the first copy leaves,
    # so it sees the second window as {b}; true contents are {a}, {a, b}
    index, occ, pairs, n = _window_counts([["a", "b"]], [["a", "a", "b"]], 2, gensim=True)
    assert n == 2 and occ[index["a"]] == 1 and pairs[index["a"], index["b"]] == 0
    index, occ, pairs, n = _window_counts([["a", "b"]], [["a", "a", "b"]], 2, gensim=False)
    assert occ[index["a"]] == 2 and pairs[index["a"], index["b"]] == 1
    # a text shorter than the window is one window, in both modes
    for mode in (True, False):
        _, occ, pairs, n = _window_counts([["a", "b"]], [["b", "a"]], 10, gensim=mode)
        assert n == 1 and pairs[0, 1] == 1


def test_collapsed_clustering_is_warned_about_and_remedied(example_embedded, cache):
    """HDBSCAN with min_samples equal to a large min_topic_size merges nearly everything."""
    corpus = example_embedded.copy()
    stats = {}
    with pytest.warns(tm.TextmineWarning, match="topics are degenerate: one topic holds") as got:
        tm.tl.topics(corpus, seed=0, stability_seeds=1, min_topic_size=80, min_samples=None,
                     stats=stats)
    messages = [str(w.message) for w in got]
    assert any("remedied with cluster_selection_method" in m for m in messages)
    quality = tm.get.quality(corpus)
    remedy = quality["remedy"]
    first = remedy["candidates"][0]
    assert first["cluster_selection_method"] == "eom" and first["degenerate"]
    assert first["largest_topic_share"] > 0.25
    assert remedy["chosen"] > 0 and remedy["criterion"] == "mean_pairwise_ari"
    # a quarter of the size is tried only when every candidate of the first rung failed
    sizes = [c["min_topic_size"] for c in remedy["candidates"]]
    assert sizes[:4] == [80, 80, 40, 40]
    assert sizes == sizes[:4] or (sizes[4:] == [20, 20]
                                  and all(c["degenerate"] for c in remedy["candidates"][:4]))
    chosen = remedy["candidates"][remedy["chosen"]]
    assert not chosen["degenerate"] and remedy["degenerate_after"] == []
    # what is reported is what the chosen setting gives, and it is no longer degenerate
    assert quality["degenerate"] == []
    assert quality["largest_topic_share"] <= 0.25
    assert quality["n_topics"] == chosen["n_topics"]
    assert quality["largest_topic_share"] == pytest.approx(chosen["largest_topic_share"])
    assert stats["degenerate"] is True and stats["remedy"].startswith("cluster_selection")
    # the stability refit used the chosen setting too
    assert tm.get.stability(corpus)["mean_pairwise_ari"] == pytest.approx(
        chosen["mean_pairwise_ari"])
    # warn only: the degenerate fit is kept, and still reported as such
    again = example_embedded.copy()
    with pytest.warns(tm.TextmineWarning, match="degenerate"):
        tm.tl.topics(again, seed=0, stability_seeds=0, min_topic_size=80, min_samples=None,
                     on_degenerate="warn")
    assert tm.get.quality(again)["degenerate"] and tm.get.quality(again)["remedy"] is None


def test_low_stability_is_warned_about_and_recorded(fitted):
    corpus, _ = fitted
    report = tm.get.stability(corpus)
    assert report["below_min_stability"] is (report["mean_pairwise_ari"] < 0.6)
    again = corpus.copy()
    with pytest.warns(tm.TextmineWarning, match="topics change with the seed"):
        tm.tl.topics(again, seed=0, stability_seeds=2, min_stability=0.999)
    assert tm.get.stability(again)["below_min_stability"] is True
    assert tm.get.quality(again)["stable"] is False


def test_reassignment_is_counted(fitted, caplog):
    corpus, stats = fitted
    quality = tm.get.quality(corpus)
    assignments = tm.get.assignments(corpus)
    assert quality["n_reassigned"] == (assignments["assignment"] == "reassigned").sum()
    assert quality["n_outliers_before_reassignment"] == quality["n_reassigned"] + (
        assignments["topic"] < 0).sum()
    assert quality["reassigned_share"] == pytest.approx(quality["n_reassigned"] / len(corpus))
    assert stats["n_reassigned"] == quality["n_reassigned"]
    summary = corpus.summary()
    assert f"{quality['n_reassigned']} reassigned" in summary


def test_terms_never_repeat_a_word_nor_use_spoken_fillers(fitted):
    corpus, _ = fitted
    spoken = {"think", "yeah", "kind", "sort", "really", "mean", "going", "know", "like"}
    for terms in tm.get.topic_info(corpus)["terms"]:
        for term in terms.split():
            words = term.split("_")
            assert len(set(words)) == len(words), term  # no buttons_buttons
            assert not set(words) & spoken, term


def test_every_term_occurs_in_a_segment_of_its_topic(fitted):
    """No term made by joining texts or deleting punctuation ("barriers_thank", "controlf")."""
    corpus, _ = fitted
    terms = tm.get.topic_terms(corpus, n_terms=100)
    assert len(terms) >= 5 * tm.get.quality(corpus)["n_topics"]
    unused = terms[terms["n_segments"] == 0]
    assert unused.empty, unused[["topic", "term"]].to_dict("records")
    # hyphenated words survive as the segments spell them
    assert terms["term"].str.contains("-").any()


def test_ngrams_stop_at_sentence_ends_and_between_segments():
    from textmine.models.ctfidf import class_terms
    from textmine.models.terms import join_segments, term_vectorizer

    analyze = term_vectorizer().build_analyzer()
    found = analyze(join_segments(["The self-archiving step completed. Sorry, where",
                                   "barriers! Digital barriers: rural GPs"]))
    assert "self-archiving step" in found and "step completed" in found
    assert "digital barriers" in found and "rural gps" in found
    for crossing in ("completed sorry", "sorry barriers", "barriers digital", "barriers rural"):
        assert crossing not in found
    # a hyphen before digits ends no word: the terms of "COVID-19" and "pre- and post-war"
    assert analyze("COVID-19 pre- and post-war") == ["covid", "pre", "post-war", "covid pre",
                                                       "pre post-war"]
    # a decimal point or a web address is no sentence end
    assert "nhs uk" in analyze("see nhs.uk for 3.5 million pounds")
    terms = class_terms(["alpha beta.", "gamma delta", "beta gamma", "epsilon"], [0, 0, 1, 1],
                        n_terms=20)
    assert "beta gamma" not in dict(terms[0]) and "beta gamma" in dict(terms[1])


def test_terms_counted_in_chunks_are_those_of_the_classes_joined(example_embedded):
    """The chunked count equals one count of each class's segments joined, at any chunk size."""
    from textmine.models.ctfidf import class_counts, class_terms
    from textmine.models.terms import join_segments, term_vectorizer

    texts = example_embedded.segments["text"].tolist()
    assert len(texts) > 1000
    classes = np.random.default_rng(0).integers(-1, 12, len(texts))
    ids, counts, vocabulary = class_counts(texts, classes, chunk_size=97)
    joined = [join_segments(t for t, c in zip(texts, classes, strict=True) if c == i)
              for i in ids]
    counter = term_vectorizer()
    whole = counter.fit_transform(joined)
    order = np.argsort(vocabulary.astype(str))
    assert vocabulary[order].tolist() == counter.get_feature_names_out().tolist()
    assert (counts[:, order] != whole).nnz == 0
    assert class_terms(texts, classes, chunk_size=97) == class_terms(texts, classes,
                                                                     chunk_size=len(texts))


def test_importing_bertopic_inside_a_run_keeps_textmine_warnings():
    """bertopic's import-time ``filterwarnings("ignore", UserWarning)`` must not hide ours.

    A run records warnings in a ``catch_warnings`` block and imports bertopic inside it (the
    first run of a process): the warnings emitted after topics must still reach the manifest.
    """
    code = (
        "import warnings\n"
        "from textmine.errors import TextmineWarning\n"
        "from textmine.models.topic_model import import_bertopic\n"
        "with warnings.catch_warnings(record=True) as caught:\n"
        "    warnings.simplefilter('always', TextmineWarning)\n"
        "    import_bertopic()\n"
        "    from bertopic import BERTopic\n"
        "    warnings.warn('after topics', TextmineWarning)\n"
        "assert [str(w.message) for w in caught] == ['after topics'], warnings.filters[:3]\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]


def test_a_lopsided_automatic_theme_cut_is_warned_about():
    from textmine.tl.topics import _themes

    rng = np.random.default_rng(0)
    # nine topics around one direction, one far off: the best silhouette splits off the one
    directions = np.vstack([np.eye(8)[0] + 0.05 * rng.standard_normal((9, 8)),
                            np.eye(8)[1:2]])
    topics = np.repeat(np.arange(10), 5)
    X = directions[topics] + 0.01 * rng.standard_normal((50, 8))
    info = pd.DataFrame({"topic": np.arange(10), "size": 5, "label": [f"t{i}" for i in
                                                                       range(10)],
                         "terms": ["a b c"] * 10})
    with pytest.warns(tm.TextmineWarning, match="put 9 of 10 topics into one theme"):
        themes, _ = _themes(X, topics, info, "auto")
    assert themes["n_topics_in_theme"].max() == 9
    # asked for: no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _themes(X, topics, info, 2)
