"""Align: topics beside the human coding, on planted structure and on real coded studies."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import (
    adjusted_rand_score,
    completeness_score,
    homogeneity_score,
    normalized_mutual_info_score,
)

import textmine as tm
from textmine.corpus import Result
from textmine.errors import ConfigError, CorpusError
from textmine.models import agreement as ag
from textmine.models.themes import hierarchy


# ------------------------------------------------------------------ planted corpora
def planted(n_docs: int = 6, per_doc: int = 12, *, seed: int = 0, noise: float = 0.0,
            uncoded_topic: bool = True) -> tm.Corpus:
    """Documents of fixed-length segments; topic t and theme t coincide (but for noise).

    Topic 3 holds uncoded segments only (an emergent topic); theme "D" is coded on segments
    spread over every topic (a theme no topic covers).
    """
    rng = np.random.default_rng(seed)
    docs, turns, segs, codes, topics = [], [], [], [], []
    seg_len = 50
    for d in range(n_docs):
        doc_id = f"doc{d}"
        text = "".join("w" * (seg_len - 1) + " " for _ in range(per_doc))
        docs.append({"doc_id": doc_id, "source": f"{doc_id}.txt", "format": "txt",
                     "labels": "colon", "sha256": "0" * 64, "n_chars": len(text),
                     "n_turns": per_doc, "group": "a" if d % 2 else "b"})
        for k in range(per_doc):
            start, end = k * seg_len, k * seg_len + seg_len - 1
            sid = f"{doc_id}:{k}"
            turns.append({"doc_id": doc_id, "turn": k, "speaker": "P", "role": "participant",
                          "start_char": start, "end_char": end, "start_time": np.nan,
                          "text": text[start:end]})
            segs.append({"segment_id": sid, "doc_id": doc_id, "speaker": "P",
                         "role": "participant", "turn": k, "start_char": start,
                         "end_char": end, "text": text[start:end]})
            topic = k % 4 if uncoded_topic else k % 3
            topics.append(topic)
            if topic < 3:
                theme = "ABC"[topic] if rng.random() >= noise else "ABC"[rng.integers(3)]
                codes.append({"doc_id": doc_id, "start_char": start + 5, "end_char": end - 5,
                              "code": theme, "code_path": f"Top > {theme}", "coder": "h"})
            if k % 5 == 0:  # theme D: a few characters of every fifth segment, all topics
                codes.append({"doc_id": doc_id, "start_char": start, "end_char": end,
                              "code": "D", "code_path": "Other > D", "coder": "h"})
    corpus = tm.Corpus(pd.DataFrame(docs), pd.DataFrame(turns), pd.DataFrame(segs),
                       pd.DataFrame(codes),
                       sources={d["doc_id"]: "".join("w" * (seg_len - 1) + " "
                                                     for _ in range(per_doc)) for d in docs})
    corpus.embeddings["e"] = rng.normal(size=(len(segs), 8)).astype(np.float32) + np.eye(
        8, dtype=np.float32)[np.array(topics)] * 4
    _topics_result(corpus, np.array(topics))
    return corpus


def _topics_result(corpus: tm.Corpus, topics: np.ndarray) -> None:
    ids = sorted(set(topics.tolist()) - {-1})  # as the topics stage: no row for outliers
    info = pd.DataFrame({"topic": ids, "size": [int((topics == t).sum()) for t in ids],
                         "label": [f"t{t}" for t in ids], "terms": [f"w{t} x{t}" for t in ids]})
    per_segment = pd.DataFrame({"segment_id": corpus.segments["segment_id"],
                                "topic": topics.astype("int64")})
    corpus.results["topics"] = Result(kind="topics", params={"embedding": "e"},
                                      per_segment=per_segment,
                                      tables={"topic_info": info})


# ---------------------------------------------------------------- metric functions
@pytest.mark.parametrize("seed", range(6))
def test_contingency_metrics_equal_scikit_learn(seed):
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 1 + seed, size=300)
    b = np.where(rng.random(300) < 0.6, a, rng.integers(0, 7, size=300))
    C = pd.crosstab(a, b).to_numpy()
    assert ag.ari(C) == pytest.approx(adjusted_rand_score(a, b), abs=1e-12)
    assert ag.nmi(C) == pytest.approx(normalized_mutual_info_score(a, b), abs=1e-12)
    assert ag.homogeneity(C) == pytest.approx(homogeneity_score(a, b), abs=1e-12)
    assert ag.completeness(C) == pytest.approx(completeness_score(a, b), abs=1e-12)


def test_harmonic_purity_by_hand():
    C = np.array([[5, 1], [0, 4]])
    purity, inverse = (5 + 4) / 10, (5 + 4) / 10
    assert ag.harmonic_purity(C) == pytest.approx(2 * purity * inverse / (purity + inverse))
    assert ag.harmonic_purity(np.array([[3, 3]])) == pytest.approx(2 * 1 * 0.5 / 1.5)


# ------------------------------------------------------------------------ planted
def test_planted_topics_and_themes_are_found_exactly():
    corpus = planted()
    tm.tl.align(corpus, rule="majority", n_boot=50, autocode=False, level="code",
                min_f1=0.55)
    metrics = tm.get.alignment(corpus)
    # themes A-C are topics 0-2 exactly; D, on segments 0, 5, 10 of each interview, sits in
    # topics 0, 1, 2 (a third of each): its best F1 is p 1/3, r 1 -> 0.5 with all three
    per_theme = tm.get.per_theme(corpus).set_index("theme")
    for theme, topic in zip(["Top > A", "Top > B", "Top > C"], "012", strict=True):
        assert per_theme.loc[theme, "best_topics"] == topic
        assert per_theme.loc[theme, "precision"] == pytest.approx(
            1.0) and per_theme.loc[theme, "recall"] == pytest.approx(1.0)
    assert metrics["missed_themes"] == ["Other > D"]
    assert metrics["emergent_topics"] == [3]
    assert per_theme.loc["Other > D", "f1"] == pytest.approx(0.5)
    assert per_theme.loc["Other > D", "best_topics"] == "0 1 2"
    assert metrics["n_multi_coded_segments"] == 18
    coded = corpus.segment_codes["segment_id"].nunique()
    assert metrics["n_coded_segments"] == coded
    lo, hi = metrics["intervals"]["nmi"]
    assert lo <= metrics["nmi"] <= hi


def test_theme_topic_counts_every_pair_and_shares_sum_to_one():
    corpus = planted(noise=0.3, seed=3)
    tm.tl.align(corpus, n_boot=0, autocode=False, level="code")
    table = tm.get.theme_topic(corpus)
    pairs = corpus.segment_codes  # every span here covers most of its segment
    assert table["n_segments"].sum() == len(pairs)
    sums = table.groupby("theme")["share_of_theme"].sum()
    assert np.allclose(sums, 1.0)
    by_hand = (pairs.merge(corpus.results["topics"].per_segment, on="segment_id")
               .groupby(["code_path", "topic"]).size())
    got = table.set_index(["theme", "topic"])["n_segments"]
    for (theme, topic), n in by_hand.items():
        assert got[(theme, topic)] == n


def test_rules_decide_which_spans_label_a_segment():
    corpus = planted(n_docs=2)
    # a 3-character span inside segment 1 of doc0: "any" counts it, majority of the
    # shorter (the span) too, min_chars 20 does not
    extra = pd.DataFrame([{"doc_id": "doc0", "start_char": 60, "end_char": 63, "code": "E",
                           "code_path": "Top > E", "coder": "h"},
                          # 31 characters over segments 2 (10) and 3 (20): majority of the
                          # span's 31 is 15.5, so segment 3 only
                          {"doc_id": "doc0", "start_char": 139, "end_char": 170, "code": "F",
                           "code_path": "Top > F", "coder": "h"}])
    corpus.set_codes(pd.concat([corpus.codes, extra], ignore_index=True))
    found = {}
    for rule in ("any", "majority", "min_chars"):
        labels = tm.tl.align(corpus, rule=rule, min_chars=20, n_boot=0, autocode=False,
                              level="code")
        tri = labels.tables["triangulation"]
        found[rule] = {t: sorted(set(tri.loc[(tri["theme"] == t)
                                             & (tri["relation"] != "model-only"),
                                             "segment_id"]))
                       for t in ("Top > E", "Top > F")}
    assert found["any"] == {"Top > E": ["doc0:1"], "Top > F": ["doc0:2", "doc0:3"]}
    assert found["majority"] == {"Top > E": ["doc0:1"], "Top > F": ["doc0:3"]}
    assert found["min_chars"] == {"Top > E": [], "Top > F": ["doc0:3"]}
    assert tm.get.alignment(corpus)["rule"] == "min_chars"


def test_levels_and_parent_of_the_codebook():
    corpus = planted()
    tm.tl.align(corpus, level=1, n_boot=0, autocode=False)
    assert sorted(tm.get.per_theme(corpus)["theme"]) == ["Other", "Top"]
    tm.tl.align(corpus, parent="Top", level=1, n_boot=0, autocode=False)
    assert sorted(tm.get.per_theme(corpus)["theme"]) == ["Top > A", "Top > B", "Top > C"]
    with pytest.raises(ConfigError, match="align.parent"):
        tm.tl.align(corpus, parent="Nowhere", autocode=False)
    with pytest.raises(ConfigError, match="level"):
        tm.tl.align(corpus, level=0)


def test_triangulation_rows_lead_back_to_their_segments():
    corpus = planted(noise=0.2, seed=1)
    tm.tl.align(corpus, n_boot=0, autocode=False, parent="Top")
    tri = tm.get.triangulation(corpus)
    assert set(tri["relation"]) == {"agree", "model-only", "human-only"}
    segs = corpus.segments.set_index("segment_id")
    for row in tri.sample(40, random_state=0).itertuples():
        seg = segs.loc[row.segment_id]
        assert (row.doc_id, row.start_char, row.end_char, row.text) == (
            seg.doc_id, seg.start_char, seg.end_char, seg.text)
        assert row.text == corpus.span_text(row.doc_id, row.start_char, row.end_char)
    # every agree row: the theme is among the segment's codes and the topic among the best
    best = tm.get.per_theme(corpus).set_index("theme")["best_topics"].str.split()
    for row in tri.itertuples():
        in_best = str(row.topic) in best[row.theme]
        coded = isinstance(row.human_codes, str) and row.theme in row.human_codes.split("; ")
        assert (row.relation == "agree") == (in_best and coded)
        assert (row.relation == "model-only") == (in_best and not coded)


def test_suggested_codes_are_tested_on_unseen_interviews_and_kept_apart():
    corpus = planted(n_docs=8, noise=0.1, seed=2)
    tm.tl.align(corpus, parent="Top", n_boot=0, folds=4)
    cv = tm.get.autocode_cv(corpus)
    tested = [d for fold in cv["folds"] for d in fold["test_documents"]]
    assert sorted(tested) == sorted(set(tested)) == [f"doc{d}" for d in range(8)]
    assert cv["kappa"] > 0.6  # planted: the embeddings carry the topic, topic = theme
    assert {c["code"] for c in cv["per_code"]} == {"Top > A", "Top > B", "Top > C"}
    suggested = tm.get.suggested_codes(corpus)
    coded = set(corpus.segment_codes.loc[corpus.segment_codes["code_path"].str.startswith(
        "Top"), "segment_id"])
    assert len(suggested) and not set(suggested["segment_id"]) & coded
    cut = {c["code"]: c["threshold"] for c in cv["per_code"]}
    assert (suggested["confidence"] >= suggested["code"].map(cut)).all()
    assert all(0.2 <= t <= 0.9 for fold in cv["folds"] for t in fold["thresholds"])


def test_thresholds_are_chosen_without_the_test_interviews():
    from textmine.models.autocode import best_thresholds, grouped_cv

    rng = np.random.default_rng(0)
    groups = np.repeat(np.arange(6), 30)
    X = rng.normal(size=(180, 5))
    Y = (X[:, :2] + rng.normal(scale=0.5, size=(180, 2)) > 1.0).astype(np.int8)
    proba, codes, folds = grouped_cv(X, Y, groups, folds=3)
    for fold in folds:
        test = np.isin(groups, [int(g) for g in fold["test_documents"]])
        # each fold's codes are its probabilities at thresholds set on the other interviews
        assert np.array_equal(codes[test], (proba[test] >= np.array(fold["thresholds"])))
        train = ~test
        assert not np.isin(np.unique(groups[train]), np.unique(groups[test])).any()
    # best_thresholds maximises F1 on what it is given: a perfect separator is found
    y = np.array([[0], [0], [1], [1]])
    assert best_thresholds(y, np.array([[0.1], [0.3], [0.65], [0.8]]))[0] in (0.35, 0.4, 0.45,
                                                                                0.5, 0.55, 0.6,
                                                                                0.65)


def test_too_few_examples_are_reported_not_learnt():
    corpus = planted(n_docs=4)
    rare = pd.DataFrame([{"doc_id": "doc0", "start_char": 0, "end_char": 49, "code": "R",
                          "code_path": "Top > R", "coder": "h"}])
    corpus.set_codes(pd.concat([corpus.codes, rare], ignore_index=True))
    tm.tl.align(corpus, parent="Top", n_boot=0, folds=2)
    cv = tm.get.autocode_cv(corpus)
    assert cv["codes_too_few"] == [{"code": "Top > R", "n_segments": 1, "n_documents": 1}]
    assert "Top > R" not in {c["code"] for c in cv["per_code"]}


def test_same_seed_same_tables():
    a, b = planted(noise=0.3), planted(noise=0.3)
    ra = tm.tl.align(a, seed=4, n_boot=30)
    rb = tm.tl.align(b, seed=4, n_boot=30)
    assert json.dumps(ra.info, sort_keys=True) == json.dumps(rb.info, sort_keys=True)
    for name in ra.tables:
        pd.testing.assert_frame_equal(ra.tables[name], rb.tables[name])


def test_align_without_topics_or_codes_names_what_is_missing():
    corpus = planted()
    del corpus.results["topics"]
    with pytest.raises(CorpusError, match="no topics result 'topics'"):
        tm.tl.align(corpus)
    corpus = planted()
    corpus.set_codes(corpus.codes.iloc[:0])
    with pytest.raises(CorpusError, match="no human codes"):
        tm.tl.align(corpus)
    with pytest.raises(ConfigError, match="align.rulez|rulez"):
        tm.tl.align(planted(), rulez="any")


def test_themes_group_topics_whose_centroids_are_close():
    # four topics: 0 and 1 near one direction, 2 and 3 near another
    centroids = np.array([[1, 0.1, 0], [1, -0.1, 0], [0, 1, 0.1], [0, 1, -0.1]], dtype=float)
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
    info = pd.DataFrame({"topic": [0, 1, 2, 3], "size": [10, 5, 8, 2],
                         "label": ["a", "b", "c", "d"],
                         "terms": ["x y", "x z", "p q", "p r"]})
    themes, tree = hierarchy(info, centroids, "auto")
    assert themes.groupby("theme")["topic"].apply(sorted).tolist() == [[0, 1], [2, 3]]
    assert themes.loc[themes["theme"] == 0, "theme_label"].iloc[0].startswith("x")
    assert len(tree) == 3 and tree["distance"].is_monotonic_increasing
    assert tree["n_topics"].tolist()[-1] == 4
    one, _ = hierarchy(info, centroids, 1)
    assert set(one["theme"]) == {0}


def test_align_against_themes():
    corpus = planted()
    result = corpus.results["topics"]
    result.tables["themes"] = pd.DataFrame({"theme": [0, 0, 1, 2], "topic": [0, 1, 2, 3],
                                            "label": ["t0", "t1", "t2", "t3"],
                                            "theme_label": ["ab", "ab", "c", "d"],
                                            "n_topics_in_theme": [2, 2, 1, 1]})
    tm.tl.align(corpus, against="themes", parent="Top", n_boot=0, autocode=False)
    per_theme = tm.get.per_theme(corpus).set_index("theme")
    assert per_theme.loc["Top > C", "best_topics"] == "1"   # machine theme 1 = topic 2
    assert per_theme.loc["Top > A", "recall"] == 1.0
    assert per_theme.loc["Top > A", "precision"] == pytest.approx(0.5)


# ------------------------------------------------------------------------- real data
@pytest.fixture(scope="module")
def example_aligned(example_embedded):
    corpus = example_embedded.copy()
    tm.tl.topics(corpus, seed=0, stability_seeds=0)
    tm.tl.align(corpus, seed=0, n_boot=100)
    return corpus


@pytest.mark.slow
def test_example_study_alignment_is_real_and_bounded(example_aligned):
    corpus = example_aligned
    metrics = tm.get.alignment(corpus)
    # 971 of 1,061 window segments carry one of the 22 tags; measured NMI 0.42, ARI 0.16
    assert metrics["n_coded_segments"] > 900 and metrics["n_themes"] == 22
    assert 0.3 < metrics["nmi"] < 0.6 and 0.08 < metrics["ari"] < 0.3
    for name, (lo, hi) in metrics["intervals"].items():
        assert lo <= metrics[name] <= hi, name
    quality = tm.get.quality(corpus)
    assert metrics["ari"] != quality["ari"] or metrics["rule"] == "any"
    cv = tm.get.autocode_cv(corpus)
    # held-out interviews: measured kappa 0.43 (a per-code mean), alpha 0.41
    assert 0.25 < cv["kappa"] < 0.8 and cv["krippendorff_alpha"] is not None
    assert len(cv["folds"]) == 5


@pytest.mark.slow
def test_example_study_run_folder_has_the_align_tables(example_copy):
    out = example_copy / "out"
    result = tm.run(example_copy / "configs" / "example.yaml", out=out,
                    overrides=["topics.stability_seeds=0", "track.enabled=false",
                               "align.n_boot=20"])
    folder = result.folder
    for name in ("metrics.json", "per_theme.csv", "theme_topic.csv", "per_topic.csv",
                 "triangulation.csv", "autocode_cv.json", "suggested_codes.parquet",
                 "textmine.qdpx"):
        assert (folder / "align" / name).is_file(), name
    assert (folder / "topics" / "themes.csv").is_file()
    metrics = json.loads((folder / "align" / "metrics.json").read_text())
    assert metrics["nmi"] == tm.get.alignment(result.corpus)["nmi"]
    assert result.manifest["stages"]["align"]["n_themes"] == 22
    again = tm.Corpus.read(folder / "corpus")
    assert again.results["align"].tables["per_theme"].equals(
        result.corpus.results["align"].tables["per_theme"])
    # the suggested codes travel into the export, under their own coder
    from textmine.io.qda import read_project
    project = read_project(folder / "align" / "textmine.qdpx")
    suggested = tm.get.suggested_codes(result.corpus)
    assert len(suggested)
    assert project.codes["code"].str.contains("textmine suggested codes").any() or (
        project.codes["code"].isin(set(suggested["code"])).any())


def test_a_wrong_parent_stops_the_run_before_any_model(example_copy):
    from textmine.errors import ConfigError

    config = example_copy / "configs" / "example.yaml"
    with pytest.raises(ConfigError, match="align.parent 'Nowhere'") as error:
        tm.pipeline.validate(config, overrides=["align.parent=Nowhere"])
    assert error.value.key == "align.parent"
    assert "Navigation complex" in str(error.value)  # the codes a user could have meant


@pytest.mark.slow
def test_focus_groups_align_at_two_levels_of_their_codebook(focus_groups):
    corpus = tm.io.read_transcripts(
        str(focus_groups / "masterTranscript.csv"), interviewer=["F"],
        columns={"doc_id": "Transcript", "speaker": "Participant", "text": "Comment"})
    with pytest.warns(tm.TextmineWarning, match="not in the codebook"):
        tm.io.read_codes(corpus, focus_groups / "codeReferences.csv", split_codes=",",
                         columns={"doc_id": "Transcript", "code": "Code", "quote": "Comment",
                                  "coder": "Author"},
                         codebook=str(focus_groups / "Master Codebook.csv"),
                         codebook_columns=["Category", "Subcategory", "axialCode",
                                           "initialCode"],
                         codebook_description="definition")
    tm.pp.segment(corpus, unit="turn")
    tm.tl.embed(corpus, progress=False)
    tm.tl.topics(corpus, seed=0, stability_seeds=0)
    found = {}
    for level in (1, 2):
        tm.tl.align(corpus, level=level, n_boot=50, folds=4)
        found[level] = tm.get.per_theme(corpus)
        metrics = tm.get.alignment(corpus)
        assert metrics["n_documents"] == 4 and metrics["level"] == level
        cv = tm.get.autocode_cv(corpus)
        assert len(cv["folds"]) == 4  # one focus group held out per fold
    top, second = set(found[1]["theme"]), set(found[2]["theme"])
    assert len(second) > len(top)
    # every level-2 theme sits under a level-1 theme (or is a code with no parent)
    assert all(t.split(" > ")[0] in top for t in second)
    # the same coded segments are counted at both levels
    assert found[1]["n_segments"].sum() <= found[2]["n_segments"].sum()


def test_an_align_result_reads_back_the_same(tmp_path):
    corpus = planted(noise=0.2)
    topics = corpus.results["topics"].per_segment["topic"].to_numpy().copy()
    topics[::7] = -1  # outliers, which topic_info does not list
    _topics_result(corpus, topics)
    tm.tl.align(corpus, n_boot=20, folds=3)
    assert "outliers" in set(tm.get.per_topic(corpus)["label"])
    again = tm.Corpus.read(corpus.write(tmp_path / "c"))
    assert again.equals(corpus)
