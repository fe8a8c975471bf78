"""Topics against human codes: textmine's topic stage vs BERTopic's defaults, same segments.

For each real coded data set, three configurations, seeds 0, 1, 2:

``bertopic_defaults``
    MiniLM embeddings of the segments alone, BERTopic's defaults.
``textmine_no_context``
    the same embeddings and the same seeded UMAP projection, textmine's topic stage: this
    isolates what the topic stage changes (HDBSCAN sized to the corpus, outliers reassigned
    to the nearest topic, terms without fillers).
``textmine``
    textmine's defaults end to end: each segment embedded with the question it answers
    (``embed.context: prompt``), then the topic stage. Without interviewer turns (the
    comment data sets) this is the row above.

BERTopic's
defaults here are ``BERTopic()`` as documented (HDBSCAN min_cluster_size 10, min_samples =
10, CountVectorizer without stop words, outliers kept), with a seed given to UMAP so the
numbers can be reproduced. Agreement is computed on every labelled unit, outliers counted as
one more cluster (-1): leaving them out would flatter whichever leaves more.

    python bench/topics_agreement.py            # all data sets, ~10 min on 2 idle cores
    python bench/topics_agreement.py serdif     # one of: serdif serdif_turns quotes focus
                                                # nhs nhs9

Writes bench/results/topics_agreement.json.
"""

from __future__ import annotations

import logging
import sys
import warnings

import numpy as np
import pandas as pd
from common import (
    ROOT,
    corpus_from_texts,
    data_dir,
    machine,
    nhs_single_label,
    serdif_quotes,
    timed,
    write,
)
from sklearn.metrics import adjusted_mutual_info_score, adjusted_rand_score
from sklearn.metrics import normalized_mutual_info_score as nmi

import textmine as tm
from textmine.models.reduction import reduced_embeddings
from textmine.models.terms import packaged_fillers, split_terms
from textmine.models.topic_model import PrecomputedReduction
from textmine.pipeline import read_inputs
from textmine.runfolder import Stages
from textmine.tl.quality import dominant_code

SEEDS = (0, 1, 2)
FILLERS = set(packaged_fillers()) | set(split_terms(fillers=False)[0])


def example(unit: str):
    cfg = tm.load_config(ROOT / "configs" / "example.yaml").resolved()
    corpus, _ = read_inputs(cfg, Stages())
    tm.pp.segment(corpus, **{**cfg.segment.model_dump(), "unit": unit})
    labels = dominant_code(corpus.segments["segment_id"], corpus.segment_codes)
    return corpus, labels


def focus_groups():
    folder = data_dir() / "os_focus_groups" / "Data" / "Prepped Data"
    corpus = tm.io.read_transcripts(
        str(folder / "masterTranscript.csv"), interviewer=["F"],
        columns={"doc_id": "Transcript", "speaker": "Participant", "text": "Comment"})
    tm.io.read_codes(corpus, folder / "codeReferences.csv", split_codes=",",
                     columns={"doc_id": "Transcript", "code": "Code", "quote": "Comment"})
    tm.pp.segment(corpus, unit="sentence")
    codes = dominant_code(corpus.segments["segment_id"], corpus.segment_codes)
    # the code family (B = barrier, F = facilitator, PE = prior experience...) is the theme
    return corpus, codes.str.split("-").str[0]


def units(texts: list[str], labels: list[str]):
    return corpus_from_texts(texts), pd.Series(labels, dtype="str")


def nhs_themes():
    table = pd.read_csv(data_dir() / "nhs_patient_experience" / "phase1_text_data.csv")
    table["feedback"] = table["feedback"].fillna("").astype(str).str.strip()
    table = table[table["feedback"].str.split().str.len() >= 3].drop_duplicates("feedback")
    return units(table["feedback"].tolist(), table["label"].tolist())


DATASETS = {
    "serdif": ("SERDIF think-aloud, example config (windows), dominant Taguette tag",
               lambda: example("window")),
    "serdif_turns": ("SERDIF think-aloud, speaker turns, dominant Taguette tag",
                     lambda: example("turn")),
    "quotes": ("SERDIF tagged quotes as units, one tag each", lambda: units(*serdif_quotes())),
    "focus": ("Open-science focus groups, sentences, dominant code family",
              focus_groups),
    "nhs": ("NHS patient comments (v6 framework), one category each",
            lambda: units(*nhs_single_label())),
    "nhs9": ("NHS patient comments (phase 1), 9 top-level themes", nhs_themes),
}


def filler_share(terms: list[list[str]]) -> float:
    """Share of top-10 terms that are a filler, a stop word, or made only of them."""
    flat = [t for topic in terms for t in topic[:10]]
    bad = [t for t in flat if t in FILLERS or all(w in FILLERS for w in t.split())]
    return len(bad) / max(len(flat), 1)


def scores(found: np.ndarray, labels: pd.Series) -> dict:
    mask = labels.notna().to_numpy()
    y, f = labels[mask].to_numpy(), np.asarray(found)[mask]
    return {"ari": adjusted_rand_score(y, f), "nmi": nmi(y, f),
            "ami": adjusted_mutual_info_score(y, f)}


def _ours(corpus, seed: int, config: str, labels: pd.Series) -> dict:
    _, wall, _, _ = timed(lambda: tm.tl.topics(corpus, seed=seed, stability_seeds=0))
    found = tm.get.assignments(corpus)["topic"].to_numpy()
    terms = [[w.replace("_", " ") for w in t.split()]
             for t in tm.get.topic_info(corpus)["terms"]]
    return {"config": config, "seed": seed, "seconds": wall,
            "outlier_share": float(np.mean(found < 0)), "n_topics": len(terms),
            "filler_share": filler_share(terms), "npmi": tm.get.quality(corpus)["npmi"],
            **scores(found, labels)}


def run(name: str) -> dict:
    from bertopic import BERTopic
    from hdbscan import HDBSCAN

    title, load = DATASETS[name]
    corpus, labels = load()
    alone = corpus.copy()
    tm.tl.embed(alone, progress=False, context="none")
    X = alone.embeddings["minilm"]
    tm.tl.embed(corpus, progress=False)  # textmine's default: with the question as context
    n_context = int((tm.pp.context.prompts(corpus) != "").sum())
    texts = corpus.segments["text"].tolist()
    rows = []
    for seed in SEEDS:
        reduced, _ = reduced_embeddings(X, n_neighbors=15, n_components=5, min_dist=0.0,
                                        seed=seed)
        model = BERTopic(umap_model=PrecomputedReduction(X, reduced),
                         hdbscan_model=HDBSCAN(min_cluster_size=10, prediction_data=True))
        (found, _), wall, _, _ = timed(lambda m=model: m.fit_transform(texts, embeddings=X))
        found = np.asarray(found)
        terms = [[w for w, _ in model.get_topic(t)] for t in sorted(set(found) - {-1})]
        rows.append({"config": "bertopic_defaults", "seed": seed, "seconds": wall,
                     "outlier_share": float(np.mean(found < 0)),
                     "n_topics": len(terms), "filler_share": filler_share(terms),
                     **scores(found, labels)})
        rows.append(_ours(alone, seed, "textmine_no_context", labels))
        rows.append(_ours(corpus, seed, "textmine", labels))
    table = pd.DataFrame(rows)
    mean = table.groupby("config", sort=False).mean(numeric_only=True).drop(columns="seed")
    base = mean.loc["bertopic_defaults"]
    result = {
        "title": title, "n_units": len(texts), "n_labelled": int(labels.notna().sum()),
        "n_labels": int(labels.nunique()), "n_with_question": n_context,
        "mean": mean.round(4).to_dict(orient="index"),
        "ari_ratio": {c: round(mean.loc[c, "ari"] / base["ari"], 2) for c in mean.index},
        "ami_ratio": {c: round(mean.loc[c, "ami"] / base["ami"], 2) for c in mean.index},
        "runs": table.round(4).to_dict(orient="records"),
    }
    print(name, title, "\n", mean.round(3).to_string(), flush=True)
    return result


def main(names: list[str]) -> None:
    warnings.simplefilter("ignore")
    logging.getLogger("BERTopic").setLevel(logging.ERROR)
    results = {"machine": machine(), "seeds": list(SEEDS)}
    for name in names:
        results[name] = run(name)
    write("topics_agreement" if names == list(DATASETS) else f"topics_agreement_{names[0]}",
          results)


if __name__ == "__main__":
    main(sys.argv[1:] or list(DATASETS))
