"""Static (model2vec distilled from MiniLM) vs MiniLM: speed, and how well each one's clusters
recover human labels on coded real data.

    .venv/bin/python bench/static_vs_minilm.py

Data sets (single-label items only): NHS patient comments (v6 framework category), SERDIF
think-aloud quotes (tag), open-science focus-group coded spans (code family, e.g. barrier).

Topic stand-in: the topic stage (BERTopic) is not built yet, so topics here are KMeans
clusters (k = number of human labels, L2-normalised vectors, 5 seeds, n_init=10): a transparent
stand-in, not the final pipeline. ARI / NMI against the labels are reported as mean (sd) over
the seeds; kNN accuracy (k=10, cosine, 5-fold) shows how much label information the vectors
hold; TF-IDF+LSA (256 dims) is a no-neural-model baseline.

Speed: tl.embed of each data set from an empty cache (so everything is encoded), MiniLM then
static, back to back: end to end (model load, hashing, cache writes included), the encoding
with its cache writes, and the model alone (``SentenceEmbedder.transform`` on a loaded model);
distillation (first use of static) is timed separately.
Writes bench/results/static_vs_minilm.json.
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

import numpy as np
from common import (
    corpus_from_texts,
    focus_group_spans,
    machine,
    nhs_single_label,
    serdif_quotes,
    timed,
    write,
)
from sklearn.cluster import KMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.preprocessing import normalize

import textmine as tm
from textmine.models.embedder import SentenceEmbedder, resolve_model

SEEDS = range(5)


def quality(vectors: np.ndarray, labels: list[str]) -> dict:
    x = normalize(vectors)
    y = np.asarray(labels)
    k = len(set(labels))
    ari, nmi = [], []
    for seed in SEEDS:
        pred = KMeans(n_clusters=k, random_state=seed, n_init=10).fit_predict(x)
        ari.append(adjusted_rand_score(y, pred))
        nmi.append(normalized_mutual_info_score(y, pred))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # rare classes have fewer than 5 members
        folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
        knn = cross_val_score(KNeighborsClassifier(10, metric="cosine"), x, y, cv=folds).mean()
    return {"ARI": round(float(np.mean(ari)), 3), "ARI_sd": round(float(np.std(ari)), 3),
            "NMI": round(float(np.mean(nmi)), 3), "NMI_sd": round(float(np.std(nmi)), 3),
            "kNN10_acc": round(float(knn), 3)}


def main() -> None:
    datasets = {"nhs_comments_v6": nhs_single_label(), "serdif_quotes": serdif_quotes(),
                "os_focus_group_spans": focus_group_spans()}
    result: dict = {**machine(), "topic_stand_in": "KMeans(k=#labels), 5 seeds",
                    "datasets": {}}
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp)
        _, wall, cpu, load = timed(lambda: resolve_model("static", cache_dir=cache))
        result["static_distill"] = {"wall_s": round(wall, 1), "cpu_s": round(cpu, 1),
                                    "load1": round(load, 2)}
        print(result["static_distill"], flush=True)
        embedders = {m: SentenceEmbedder(m, cache_dir=cache).fit() for m in ("minilm", "static")}
        for name, (texts, labels) in datasets.items():
            entry: dict = {"n": len(texts), "labels": len(set(labels)),
                           "mean_chars": round(float(np.mean([len(t) for t in texts])), 1)}
            for model in ("minilm", "static"):
                corpus = corpus_from_texts(texts)
                stats, wall, cpu, load = timed(lambda c=corpus, m=model: tm.tl.embed(
                    c, model=m, cache_dir=cache, progress=False))
                assert stats.cache_misses == len(texts)
                entry[model] = {"embed_wall_s": round(wall, 2), "embed_cpu_s": round(cpu, 2),
                                "texts_per_s": round(len(texts) / wall, 1),
                                # encoding + cache writes (no model load, no hashing)
                                "encode_s": stats.encode_seconds,
                                "encode_texts_per_s": round(len(texts) / stats.encode_seconds, 1),
                                "load1": round(load, 2),
                                **quality(corpus.embeddings[model], labels)}
                # the model alone: SentenceEmbedder.transform on a loaded model, no cache
                _, wall, _, _ = timed(lambda m=model, t=texts: embedders[m].transform(t))
                entry[model]["transform_texts_per_s"] = round(len(texts) / wall, 1)
                print(name, model, entry[model], flush=True)
            tfidf = TfidfVectorizer(sublinear_tf=True, min_df=2, stop_words="english")
            lsa = TruncatedSVD(256, random_state=0).fit_transform(tfidf.fit_transform(texts))
            entry["tfidf_lsa256"] = quality(lsa, labels)
            entry["speed_ratio (static/minilm, tl.embed end to end)"] = round(
                entry["static"]["texts_per_s"] / entry["minilm"]["texts_per_s"], 1)
            entry["speed_ratio (static/minilm, encoding + cache writes)"] = round(
                entry["static"]["encode_texts_per_s"] / entry["minilm"]["encode_texts_per_s"], 1)
            entry["speed_ratio (static/minilm, model alone)"] = round(
                entry["static"]["transform_texts_per_s"]
                / entry["minilm"]["transform_texts_per_s"], 1)
            result["datasets"][name] = entry
    write("static_vs_minilm", result)


if __name__ == "__main__":
    main()
