"""textmine's default config on every interview-like data set, for each segmentation unit.

What a new user gets: ``textmine run`` with only the paths filled in (and what is needed to
read the files at all: a table's column names, the interviewer's label, the example study's
layout rules). For each data set and each ``segment.unit`` (turn, sentence, window), the whole
pipeline runs in memory (``textmine.run(config, write=False)``) and this records:

segments, segments split for length (over the embedding model's 256 tokens), topics, the
largest topic's share, outliers before reassignment, the share of segments reassigned from
the outliers, whether the first fit was degenerate and which remedy was kept, the stability
refits' topic counts and mean pairwise ARI, and agreement (ARI, NMI, AMI, outliers as one more
cluster) with the human codes on the coded segments, for the reported fit (seed 0) and as the
mean over the fits with the four seeds 0-3 (``*_mean``: one seed's agreement is noisy).

Data sets (``../shared/data``, never copied into the repository):

``serdif_txt``     SERDIF think-aloud sessions, the plain-text transcripts, read by the defaults
                   (no layout rules: MODERATOR is the only label), Taguette tags as codes
``serdif_odt``     the same sessions from the original .odt files
``example``        the bundled example study, read as ``configs/example.yaml`` says (its
                   ``input``, ``codes`` and ``segment.exclude_roles``); everything else default
``focus``          open-science focus groups (masterTranscript.csv, facilitator ``F``), code
                   families of codeReferences.csv
``standin``        143 stand-in interviews from the Commons COVID speeches (bench/standin.py:
                   Word and Otter files, generic prompts, Speaker 1/2 files), the debate as code

    python bench/defaults.py                          # all sets and units (~40 min, 2 cores)
    python bench/defaults.py --sets focus --units window
    python bench/defaults.py --set embed.context=none --name context_none
    python bench/defaults.py --set topics.outlier_threshold=0.4 --name threshold_0.4

Writes ``bench/results/defaults.json`` (or ``defaults_<name>.json``). Set
``TEXTMINE_CACHE_DIR`` to a persistent folder: re-runs then embed nothing and re-use UMAP.
"""

from __future__ import annotations

import argparse
import atexit
import logging
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from common import ROOT, data_dir, machine, write
from sklearn.metrics import adjusted_mutual_info_score, adjusted_rand_score
from sklearn.metrics import normalized_mutual_info_score as nmi

import textmine as tm
from textmine.tl.quality import dominant_code

UNITS = ("turn", "sentence", "window")
SERDIF_CODES = {"path": None, "columns": {"doc_id": "document", "code": "tag",
                                          "quote": "content"}}


def _serdif(kind: str) -> dict:
    folder = data_dir() / "serdif_thinkaloud" / "transcripts"
    pattern = "txt/*.txt" if kind == "txt" else "raw/*.odt"
    codes = dict(SERDIF_CODES, path=str(ROOT / "examples" / "serdif_thinkaloud" / "codes" /
                                        "all_tags_20220303.csv"))
    return {"input": {"transcripts": str(folder / pattern)}, "codes": codes}


def _example() -> dict:
    path = ROOT / "configs" / "example.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    config = tm.load_config(path).resolved().to_dict()
    return {"input": {k: config["input"][k] for k in raw["input"]},
            "codes": {k: config["codes"][k] for k in raw["codes"]},
            "segment": {"exclude_roles": raw["segment"]["exclude_roles"]}}


def _focus() -> dict:
    folder = data_dir() / "os_focus_groups" / "Data" / "Prepped Data"
    return {"input": {"transcripts": str(folder / "masterTranscript.csv"), "interviewer": ["F"],
                      "columns": {"doc_id": "Transcript", "speaker": "Participant",
                                  "text": "Comment"}},
            "codes": {"path": str(folder / "codeReferences.csv"), "split_codes": ",",
                      "columns": {"doc_id": "Transcript", "code": "Code", "quote": "Comment"}}}


_STANDIN: dict = {}


def _standin() -> dict:
    from standin import build_standin

    if "study" not in _STANDIN:
        folder = Path(tempfile.mkdtemp(prefix="textmine-standin-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        _STANDIN["study"] = build_standin(folder)
    study = _STANDIN["study"]
    config = study.config()
    config.pop("run_name")
    return config


def _family(codes: pd.Series) -> pd.Series:
    # focus-group codes are B-OPR, F-SA...: the family (barrier, facilitator...) is the theme
    return codes.str.split("-").str[0].str.strip()


SETS = {
    "serdif_txt": ("SERDIF think-aloud, .txt, default reading", lambda: _serdif("txt"), None),
    "serdif_odt": ("SERDIF think-aloud, original .odt, default reading",
                   lambda: _serdif("odt"), None),
    "example": ("SERDIF example study, read as configs/example.yaml says", _example, None),
    "focus": ("Open-science focus groups (code families)", _focus, _family),
    "standin": ("Stand-in study: 143 Commons 'interviews' (debate as code)", _standin, None),
}


def _merge(base: dict, extra: dict) -> dict:
    out = {k: dict(v) if isinstance(v, dict) else v for k, v in base.items()}
    for key, value in extra.items():
        if isinstance(value, dict):
            out[key] = {**out.get(key, {}), **value}
        else:
            out[key] = value
    return out


def candidates_vs_codes(corpus, config, labels: pd.Series) -> list[dict]:
    """Every remedy candidate on this run's embeddings: label-free numbers and agreement.

    Evidence for the remedy's criterion: does the candidate it would keep agree with the
    human codes as well as the others? (Exploratory: the remedy itself never sees labels.)
    """
    from textmine.config import TopicsConfig
    from textmine.models.topic_model import hdbscan_labels, reassign_outliers, unit_rows
    from textmine.tl.topics import _evaluate, hdbscan_sizes, reduced_embeddings, remedy_candidates

    cfg = TopicsConfig(**{k: v for k, v in config.topics.model_dump().items()})
    X = next(iter(corpus.embeddings.values()))
    seeds = [config.seed + k for k in range(cfg.stability_seeds + 1)]
    reductions = [reduced_embeddings(X, n_neighbors=cfg.n_neighbors,
                                     n_components=cfg.n_components, min_dist=cfg.min_dist,
                                     seed=s)[0] for s in seeds]
    normed = unit_rows(np.asarray(X, dtype=np.float32))
    size, samples = hdbscan_sizes(cfg, len(corpus))
    mask = labels.notna().to_numpy()
    out = []
    for candidate in remedy_candidates(size, samples, cfg.cluster_selection_method):
        row = _evaluate(candidate, reductions, normed, cfg)
        found, _ = hdbscan_labels(reductions[0], min_cluster_size=candidate["min_topic_size"],
                                  min_samples=candidate["min_samples"],
                                  cluster_selection_method=candidate["cluster_selection_method"])
        if cfg.outlier_threshold is not None:
            found = reassign_outliers(normed, found, cfg.outlier_threshold)
        y, f = labels[mask].to_numpy(), found[mask]
        row.update(ari=round(adjusted_rand_score(y, f), 4),
                   ami=round(adjusted_mutual_info_score(y, f), 4))
        out.append(row)
    return out


def _over_seeds(corpus, config, y, mask, row: dict) -> dict:
    """Agreement of the fits with the other stability seeds too (one seed is noisy).

    What a user would get with ``seed: 1``, ``2``, ``3``: the topic stage refitted on the
    same embeddings (UMAP from the cache), remedy included; the means over the four fits.
    """
    scores = {"ari": [row["ari"]], "nmi": [row["nmi"]], "ami": [row["ami"]]}
    options = config.topics.model_dump(exclude={"enabled"})
    options["stability_seeds"] = 0
    for k in range(1, config.topics.stability_seeds + 1):
        refit = corpus.copy()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tm.tl.topics(refit, seed=config.seed + k, **options)
        f = tm.get.assignments(refit)["topic"].to_numpy()[mask]
        scores["ari"].append(adjusted_rand_score(y, f))
        scores["nmi"].append(nmi(y, f))
        scores["ami"].append(adjusted_mutual_info_score(y, f))
    return {f"{k}_mean": round(float(np.mean(v)), 4) for k, v in scores.items()}


def run_one(name: str, unit: str, overrides: list[str], candidates: bool = False) -> dict:
    """One default run of one data set with one unit; the numbers the docs quote."""
    title, build, relabel = SETS[name]
    config = _merge(build(), {"run_name": f"defaults-{name}-{unit}",
                              "segment": {"unit": unit}, "embed": {"progress": False}})
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = tm.run(tm.load_config(config, overrides=overrides), write=False)
    seconds = time.perf_counter() - start
    corpus, manifest = result.corpus, result.manifest
    quality = tm.get.quality(corpus)
    stability = tm.get.stability(corpus) or {}
    segment = manifest["stages"]["segment"]
    row = {
        "set": name, "unit": unit, "segments": len(corpus),
        "split_for_length": segment.get("n_split_for_length", 0),
        "split_pieces": segment.get("n_split_pieces", 0),
        "topics": quality["n_topics"],
        "largest_share": round(quality["largest_topic_share"], 4),
        "outliers_before": round(quality["outlier_share_before_reassignment"], 4),
        "outliers": round(quality["outlier_share"], 4),
        "reassigned_share": round(quality["reassigned_share"], 4),
        "degenerate_first_fit": bool((quality.get("remedy") or {}).get("reasons")),
        "remedy": manifest["stages"]["topics"].get("remedy"),
        "degenerate": quality["degenerate"],
        "stability_topics": stability.get("n_topics"),
        "mean_pairwise_ari": None if not stability else round(stability["mean_pairwise_ari"], 4),
        "preambles": manifest["stages"]["read"].get("n_preambles"),
        "unknown_turns": manifest["stages"]["read"].get("n_unknown_turns"),
        "n_warnings": len(manifest["warnings"]),
        # a term no segment of its topic contains was made by joining or cleaning the text
        "terms_in_no_segment": int((tm.get.topic_terms(corpus)["n_segments"] == 0).sum()),
        "seconds": round(seconds, 1),
    }
    if len(corpus.codes):
        labels = dominant_code(corpus.segments["segment_id"], corpus.segment_codes)
        if relabel is not None:
            labels = relabel(labels)
        found = tm.get.assignments(corpus)["topic"].to_numpy()
        mask = labels.notna().to_numpy()
        y, f = labels[mask].to_numpy(), found[mask]
        row.update(n_labelled=int(mask.sum()), n_labels=int(pd.Series(y).nunique()),
                   ari=round(adjusted_rand_score(y, f), 4), nmi=round(nmi(y, f), 4),
                   ami=round(adjusted_mutual_info_score(y, f), 4))
        row.update(_over_seeds(corpus, tm.load_config(config, overrides=overrides), y,
                               mask, row))
        if candidates:
            row["candidates_vs_codes"] = candidates_vs_codes(
                corpus, tm.load_config(config, overrides=overrides), labels)
    row["remedy_candidates"] = (quality.get("remedy") or {}).get("candidates")
    print(title, unit, {k: v for k, v in row.items() if k != "remedy_candidates"}, flush=True)
    return row


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", default=list(SETS), choices=list(SETS))
    parser.add_argument("--units", nargs="+", default=list(UNITS), choices=list(UNITS))
    parser.add_argument("--set", action="append", default=[], dest="overrides",
                        help="section.key=value applied to every run (as textmine run --set)")
    parser.add_argument("--name", default=None, help="results file suffix for a variant")
    parser.add_argument("--candidates", action="store_true",
                        help="also score every remedy candidate against the codes")
    args = parser.parse_args(argv)
    logging.getLogger("BERTopic").setLevel(logging.ERROR)
    rows = [run_one(name, unit, args.overrides, args.candidates)
            for name in args.sets for unit in args.units]
    table = pd.DataFrame(rows)
    shown = [c for c in ("set", "unit", "segments", "split_for_length", "topics", "largest_share",
                         "outliers_before", "reassigned_share", "mean_pairwise_ari", "ari",
                         "nmi", "ami", "ari_mean", "ami_mean") if c in table]
    print(table[shown].to_string(index=False))
    write("defaults" + (f"_{args.name}" if args.name else ""),
          {"machine": machine(), "overrides": args.overrides, "command": " ".join(sys.argv),
           "rows": rows})


if __name__ == "__main__":
    main()
