"""NPMI coherence and topic diversity on BBC News, in the BERTopic paper's protocol.

Grootendorst (2022) reports, for BERTopic with all-MiniLM-L6-v2 on BBC News, NPMI 0.170 and
diversity 0.802, averaged over 10, 20, 30, 40 and 50 topics (3 runs each). Protocol here:

* OCTIS-like preprocessing of the 2,225 articles: lower case, alphabetic tokens, lemmas
  (simplemma, standing in for OCTIS's spaCy lemmatiser), English stop words, tokens of 3+
  characters, words in 16 documents up to half of them (a 2,957-word vocabulary; OCTIS's has
  2,949);
* MiniLM embeddings of the preprocessed text (through ``tl.embed``);
* ``BERTopic(min_topic_size=5, nr_topics=k)``, UMAP seeded, k = 10..50, seeds 0, 1, 2;
* NPMI of each topic's top 10 words with textmine's ``tl.quality.npmi`` (gensim's ``c_npmi``:
  sliding windows of 10 tokens over the preprocessed corpus; it equals gensim 4.4's
  ``CoherenceModel`` to the last digit), diversity over the top 10 words (what the paper's
  evaluation code computes, ``TopicDiversity(topk=10)``) and over the top 25.

The same is computed for textmine's topic stage (its defaults, ``nr_topics=k``) on the same
UMAP projections. Needs the ``bench`` extra (simplemma). About 5 minutes on 2 idle cores.

    python bench/topics_bbc.py
"""

from __future__ import annotations

import logging
import re
import warnings
from collections import Counter

import numpy as np
import pandas as pd
from common import corpus_from_texts, data_dir, machine, timed, write
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

import textmine as tm
from textmine.models.reduction import reduced_embeddings
from textmine.models.topic_model import PrecomputedReduction
from textmine.tl.quality import diversity, npmi

KS = (10, 20, 30, 40, 50)
SEEDS = (0, 1, 2)
PAPER = {"npmi": 0.170, "diversity": 0.802}


def preprocess(texts: list[str], *, min_df: int = 16, max_df: float = 0.5) -> list[list[str]]:
    import simplemma

    lemmas: dict[str, str] = {}
    docs = []
    for text in texts:
        out = []
        for word in re.findall(r"[a-z]+", text.lower()):
            if word in ENGLISH_STOP_WORDS or len(word) < 3:
                continue
            lemma = lemmas.get(word)
            if lemma is None:
                lemma = lemmas[word] = simplemma.lemmatize(word, lang="en").lower()
            if lemma not in ENGLISH_STOP_WORDS and len(lemma) >= 3 and lemma.isalpha():
                out.append(lemma)
        docs.append(out)
    df = Counter(w for d in docs for w in set(d))
    vocab = {w for w, c in df.items() if min_df <= c <= max_df * len(docs)}
    return [[w for w in d if w in vocab] for d in docs]


def topic_lists(terms_by_topic: list[list[str]]) -> tuple[list[list[str]], list[list[str]]]:
    return [t[:10] for t in terms_by_topic], [t[:25] for t in terms_by_topic]


def main() -> None:
    from bertopic import BERTopic
    from hdbscan import HDBSCAN

    warnings.simplefilter("ignore")
    logging.getLogger("BERTopic").setLevel(logging.ERROR)
    table = pd.read_csv(data_dir() / "bbc_news" / "bbc_news.csv")
    tokens = preprocess(table["text"].fillna("").astype(str).tolist())
    docs = [" ".join(d) for d in tokens]
    corpus = corpus_from_texts(docs)
    tm.tl.embed(corpus, progress=False, context="none")
    X = corpus.embeddings["minilm"]
    rows = []
    for k in KS:
        for seed in SEEDS:
            reduced, _ = reduced_embeddings(X, n_neighbors=15, n_components=5, min_dist=0.0,
                                            seed=seed)
            model = BERTopic(umap_model=PrecomputedReduction(X, reduced),
                             hdbscan_model=HDBSCAN(min_cluster_size=5, prediction_data=True),
                             nr_topics=k, top_n_words=25)
            (found, _), wall, _, _ = timed(lambda m=model: m.fit_transform(docs, embeddings=X))
            ids = sorted(set(found) - {-1})
            top10, top25 = topic_lists([[w for w, _ in model.get_topic(t)] for t in ids])
            rows.append({"config": "bertopic_paper", "k": k, "seed": seed,
                         "n_topics": len(ids), "outlier_share": float(np.mean(np.array(found) < 0)),
                         "npmi": npmi(top10, tokens), "npmi_exact_window":
                         npmi(top10, tokens, gensim=False),
                         "diversity_top10": diversity(top10, 10),
                         "diversity_top25": diversity(top25, 25), "seconds": wall})
            _, wall, _, _ = timed(lambda s=seed, n=k: tm.tl.topics(
                corpus, seed=s, nr_topics=n, top_n_words=25, stability_seeds=0))
            info = tm.get.topic_info(corpus)
            top10, top25 = topic_lists([t.split() for t in info["terms"]])
            rows.append({"config": "textmine", "k": k, "seed": seed, "n_topics": len(info),
                         "outlier_share": tm.get.quality(corpus)["outlier_share"],
                         "npmi": npmi(top10, tokens),
                         "npmi_exact_window": npmi(top10, tokens, gensim=False),
                         "diversity_top10": diversity(top10, 10),
                         "diversity_top25": diversity(top25, 25), "seconds": wall})
            print(rows[-2]["k"], rows[-2]["seed"], round(rows[-2]["npmi"], 4),
                  round(rows[-1]["npmi"], 4), flush=True)
    frame = pd.DataFrame(rows)
    by_k = frame.groupby(["config", "k"]).mean(numeric_only=True).drop(columns="seed")
    mean = frame.groupby("config").mean(numeric_only=True).drop(columns=["seed", "k"])
    print(by_k.round(4).to_string(), "\n", mean.round(4).to_string())
    write("topics_bbc", {
        "machine": machine(), "paper": PAPER, "vocabulary": len({w for d in tokens for w in d}),
        "mean": mean.round(4).to_dict(orient="index"),
        "by_k": {f"{c}|{k}": v for (c, k), v in by_k.round(4).to_dict(orient="index").items()},
        "runs": frame.round(4).to_dict(orient="records"),
    })


if __name__ == "__main__":
    main()
