"""Align on every coded data set: topics against the codes, and the suggested codes' agreement.

For each real coded data set, textmine's defaults end to end (segment, embed, topics, align),
then the align stage's numbers: NMI, ARI, AMI, harmonic purity (with the interview-bootstrap
intervals), missed themes and emergent topics; and the suggested codes (logistic regression on
MiniLM embeddings) against a plain bag-of-words baseline (TF-IDF, the same regression) in the
same folds, grouped by interview: Cohen's kappa (mean per code), Krippendorff's alpha, macro-F1.

    python bench/align_agreement.py             # all data sets, ~15 min on 2 idle cores
    python bench/align_agreement.py focus       # one of: serdif taguette focus focus2 nhs nhs9

Writes bench/results/align_agreement.json (or align_agreement_<name>.json for one).
"""

from __future__ import annotations

import importlib
import logging
import sys
import warnings

import numpy as np
import pandas as pd
from common import ROOT, corpus_from_texts, data_dir, machine, timed, write
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

import textmine as tm
from textmine.models.autocode import agreement, grouped_cv
from textmine.pipeline import read_inputs
from textmine.runfolder import Stages

# the module, not the function textmine.tl.align that shadows it
align_stage = importlib.import_module("textmine.tl.align")


def example(codes: str | None = None):
    cfg = tm.load_config(ROOT / "configs" / "example.yaml").resolved()
    if codes:
        cfg.codes.path = None
    corpus, _ = read_inputs(cfg, Stages())
    if codes:  # the project's highlights in place of the tag exports
        tm.io.read_codes(corpus, codes)
    tm.pp.segment(corpus, **cfg.segment.model_dump(exclude={"where"}))
    return corpus, {}


def taguette():
    project = (data_dir() / "serdif_thinkaloud" / "transcripts" / "thematic-analysis" /
               "SERDIF_P2_ThematicAnalysis.sqlite3")
    return example(str(project))


def focus(level: int = 1):
    folder = data_dir() / "os_focus_groups" / "Data" / "Prepped Data"
    corpus = tm.io.read_transcripts(
        str(folder / "masterTranscript.csv"), interviewer=["F"],
        columns={"doc_id": "Transcript", "speaker": "Participant", "text": "Comment"})
    tm.io.read_codes(corpus, folder / "codeReferences.csv", split_codes=",",
                     columns={"doc_id": "Transcript", "code": "Code", "quote": "Comment",
                              "coder": "Author"},
                     codebook=str(folder / "Master Codebook.csv"),
                     codebook_columns=["Category", "Subcategory", "axialCode", "initialCode"],
                     codebook_description="definition")
    tm.pp.segment(corpus, unit="turn")
    return corpus, {"level": level}


def _comments(texts: list[str], labels: list[list[str]], paths) -> tm.Corpus:
    """One document per comment, each code spanning the whole comment."""
    texts = [" ".join(t.split()) for t in texts]  # the text a reader would have normalised
    corpus = corpus_from_texts(texts)
    corpus.sources = dict(zip(corpus.documents["doc_id"], texts, strict=True))
    rows = [{"doc_id": f"t{i}", "start_char": 0, "end_char": len(text), "code": code,
             "code_path": paths(code), "coder": "human"}
            for i, (text, codes) in enumerate(zip(texts, labels, strict=True)) for code in codes]
    corpus.set_codes(pd.DataFrame(rows))
    return corpus


def nhs():
    table = pd.read_csv(data_dir() / "nhs_patient_experience" / "v6framework_230831.csv")
    cols = list(table.columns)
    cats = [c for c in cols[cols.index("Comment sentiment") + 1:]
            if c not in ("Labelling not possible", "Not assigned")]
    table["text"] = table["FFT answer"].fillna("").astype(str).str.strip()
    table = table[table["text"] != ""].drop_duplicates("text")
    onehot = table[cats].fillna(0).astype(int)
    labels = [[c for c in cats if row[c]] for _, row in onehot.iterrows()]
    return _comments(table["text"].tolist(), labels, lambda c: c), {"level": 1}


def nhs9():
    table = pd.read_csv(data_dir() / "nhs_patient_experience" / "phase1_text_data.csv")
    table["feedback"] = table["feedback"].fillna("").astype(str).str.strip()
    table = table[table["feedback"].str.split().str.len() >= 3].drop_duplicates("feedback")
    paths = dict(zip(table["subcategory"], table["label"] + " > " + table["subcategory"],
                     strict=False))
    corpus = _comments(table["feedback"].tolist(), [[s] for s in table["subcategory"]],
                       lambda c: paths[c])
    return corpus, {"level": 1}


DATASETS = {
    "serdif": ("SERDIF think-aloud (example config: windows), Taguette tag exports (22 tags)",
               example),
    "taguette": ("SERDIF think-aloud, the Taguette project itself (highlights as spans)",
                 taguette),
    "focus": ("Open-science focus groups, turns, codebook level 1 (categories)",
              lambda: focus(1)),
    "focus2": ("Open-science focus groups, turns, codebook level 2 (subcategories)",
               lambda: focus(2)),
    "nhs": ("NHS patient comments (v6 framework), up to several of 50 categories each", nhs),
    "nhs9": ("NHS patient comments (phase 1): 9 themes > 44 subcategories, at the themes",
             nhs9),
}


class Tfidf:
    """The plain baseline: TF-IDF of the segment's words, one balanced regression per code."""

    def fit(self, texts, Y):
        self.vec = TfidfVectorizer(min_df=2, ngram_range=(1, 2), sublinear_tf=True)
        X = self.vec.fit_transform(texts)
        self.models = [float(Y[0, j]) if Y[:, j].min() == Y[:, j].max() else
                       LogisticRegression(class_weight="balanced", max_iter=2000).fit(X, Y[:, j])
                       for j in range(Y.shape[1])]
        return self

    def predict_proba(self, texts):
        X = self.vec.transform(texts)
        return np.column_stack([np.full(X.shape[0], m) if isinstance(m, float) else
                                m.predict_proba(X)[:, 1] for m in self.models])


def baseline(corpus, options: dict) -> dict:
    """The TF-IDF baseline in the same grouped folds as the align stage's suggested codes."""
    cfg = tm.config.validate_section(tm.config.AlignConfig, options, section="align")
    found, _ = align_stage.machine_labels(corpus, cfg)
    labels, _ = align_stage.segment_labels(corpus, cfg)
    data = align_stage._Data(corpus, labels, found)
    counts = np.bincount(data.ti, minlength=data.n_t)
    docs = [len(np.unique(data.doc[data.ti == t])) for t in range(data.n_t)]
    learnt = [t for t in range(data.n_t) if counts[t] >= cfg.min_examples and docs[t] >= 2]
    row = {s: i for i, s in enumerate(data.coded)}
    Y = np.zeros((len(data.coded), len(learnt)), dtype=np.int8)
    col = {t: k for k, t in enumerate(learnt)}
    for s, t in zip(data.seg, data.ti, strict=True):
        if t in col:
            Y[row[s], col[t]] = 1
    texts = np.asarray(corpus.segments["text"].to_numpy()[data.coded], dtype=object)
    _, codes, _ = grouped_cv(texts, Y, data.doc_all[data.coded], folds=cfg.folds, make=Tfidf,
                             threshold=cfg.threshold)
    found = agreement(Y, codes, [data.themes[t] for t in learnt])
    return {k: found[k] for k in ("kappa", "kappa_pooled", "krippendorff_alpha", "macro_f1")}


def run(name: str) -> dict:
    title, load = DATASETS[name]
    corpus, options = load()
    tm.tl.embed(corpus, progress=False)
    tm.tl.topics(corpus, seed=0)
    _, seconds, _, load_avg = timed(lambda: tm.tl.align(corpus, seed=0, **options))
    metrics = tm.get.alignment(corpus)
    cv = tm.get.autocode_cv(corpus)
    base = baseline(corpus, options)
    per_theme = tm.get.per_theme(corpus)
    keep = ("nmi", "ari", "ami", "homogeneity", "completeness", "harmonic_purity",
            "intervals", "n_segments", "n_coded_segments", "n_multi_coded_segments",
            "n_segments_left_by_rule", "n_themes", "n_topics", "n_documents")
    result = {
        "title": title, "align_seconds": round(seconds, 2), "loadavg": load_avg,
        "metrics": {k: metrics[k] for k in keep},
        "n_missed_themes": len(metrics["missed_themes"]),
        "n_emergent_topics": len(metrics["emergent_topics"]),
        "median_theme_f1": float(per_theme["f1"].median()),
        "suggested": {k: cv.get(k) for k in ("kappa", "kappa_pooled", "krippendorff_alpha",
                                              "macro_f1", "n_codes")},
        "n_codes_too_few": len(cv.get("codes_too_few", [])),
        "n_codes_at_target": sum(1 for c in cv.get("per_code", [])
                                 if c["kappa"] is not None and c["kappa"] >= 0.6),
        "tfidf_baseline": base,
    }
    print(name, {k: result[k] for k in ("metrics", "suggested", "tfidf_baseline")}, flush=True)
    return result


def main(names: list[str]) -> None:
    warnings.simplefilter("ignore")
    logging.getLogger("BERTopic").setLevel(logging.ERROR)
    name_out = "align_agreement" if names == list(DATASETS) else f"align_agreement_{names[0]}"
    results = {"machine": machine()}
    for name in names:
        results[name] = run(name)
        write(name_out, results)  # after each data set: a later failure keeps the rest


if __name__ == "__main__":
    main(sys.argv[1:] or list(DATASETS))
