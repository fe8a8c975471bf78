"""textmine against BERTopic's defaults on the same segments, at 1k to 100k+ segments.

    .venv/bin/python bench/scale.py [--sizes 1000 5000 20000 100000] [--backends torch onnx]

The segments are sentences (``segment.unit: sentence``) of real text from ../shared/data:
BBC News articles (2,225, five editorial categories: the labels) and, for the largest size,
every State of the Union address as well (72,282 sentences, no labels). A size takes whole
documents in a seeded order until it has at least that many segments, BBC first, so each size
is a superset of the smaller ones. Per size, each measurement runs in a fresh process (its peak
RSS is its own, ``VmHWM``) with an empty cache folder of its own:

``textmine cold``  read, segment, embed (MiniLM, empty cache), topics with the defaults
                   (incl. the three stability refits);
``textmine warm``  the same run again after a clustering change (``min_topic_size`` 30): the
                   embeddings and the UMAP reductions come from the cache; then, in the same
                   process, one more change (``min_topic_size`` 40) as a notebook would make
                   it (``topics_again_s``: only ``tl.topics`` runs, BERTopic already imported);
``bertopic``       ``BERTopic().fit_transform`` with its defaults on exactly textmine's segment
                   texts (the same all-MiniLM-L6-v2, loaded from the shipped package).

Reported: wall seconds, process CPU seconds, peak RSS (and the summed peaks of the UMAP
worker processes, ``workers_peak_rss_mb``, when the seeded fits ran side by side), topics,
outlier share, and ARI/NMI of the topics against the article categories on the BBC segments
(outliers count as one cluster, as BERTopic reports them). Beside them the fp32 embedding
floor of the same texts (tokens x the FLOP per token and GFLOP/s that bench/embed_floor.py
measured on this CPU).

``textmine_cold`` runs textmine's defaults (``embed.backend: auto``, oneDNN where torch has
it; the backend it ran is in the row). ``--backends torch onnx`` adds a row per backend and
size, ``textmine_cold_<backend>``
(``--backends auto --only``: the default's cold run again, e.g. after a change to it): the
cold run with that ``embed.backend`` (ONNX's first-use export inside it, as a new user pays
it), with an empty cache of its own; ``--only`` runs those rows alone again beside the rows
of an earlier run on the same CPU (and its floor).

The floor's rate is measured on this machine at the start and at the end of the run (the
matmul shapes of bench/embed_floor.py, on every fp32 kernel library at hand: torch's MKL,
torch's oneDNN, numpy's OpenBLAS), and the fastest is kept: the floor is what the CPU
sustains, not what one library gets from it. On the AMD EPYC (Zen 5) machines here MKL
reaches about half of oneDNN's rate, so a floor measured with MKL alone, as before
2026-12-05, was twice too lenient. ``--refloor`` measures the rate again and applies it to
the rows already in scale.json when it is faster (same CPU only). The rate also moves from
one machine to the next, so a floor from another machine is never used.
Writes bench/results/scale.json (each size is added as it finishes).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

from common import RESULTS, ROOT, data_dir, machine
from embed_floor import DENSE_FLOPS_PER_TOKEN, KERNELS, _cpu_name, sustained_rate

from textmine.runfolder import package_versions


def _write_documents(folder: Path) -> list[tuple[str, str, str | None]]:
    """Every BBC article and SOTU address as a .txt file: ``(path, doc_id, label)``."""
    import pandas as pd

    folder.mkdir(parents=True, exist_ok=True)
    bbc = pd.read_csv(data_dir() / "bbc_news" / "bbc_news.csv")
    docs = []
    for row in bbc.itertuples():
        doc_id = "bbc-" + row.doc_id.replace("/", "-").removesuffix(".txt")
        path = folder / f"{doc_id}.txt"
        path.write_text(str(row.text), encoding="utf-8")
        docs.append((str(path), doc_id, row.category))
    for source in sorted((data_dir() / "sotu" / "speeches").glob("*.txt")):
        doc_id = "sotu-" + source.stem
        path = folder / f"{doc_id}.txt"
        path.write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
        docs.append((str(path), doc_id, None))
    return docs


def _segment(files: list[str]):
    import textmine as tm

    corpus = tm.io.read_transcripts(files, unlabelled_speaker="WRITER")
    tm.pp.segment(corpus, unit="sentence")
    return corpus


def choose(docs: list[tuple[str, str, str | None]], sizes: list[int], seed: int = 0) -> dict:
    """Files of each size: whole documents, BBC (seeded order) first, then SOTU."""
    corpus = _segment([d[0] for d in docs])
    counts = corpus.segments["doc_id"].value_counts().to_dict()
    bbc = [d for d in docs if d[2] is not None]
    random.Random(seed).shuffle(bbc)
    ordered = bbc + [d for d in docs if d[2] is None]
    chosen, total, out = [], 0, {}
    for size in sorted(sizes):
        for doc in ordered[len(chosen):]:
            if total >= size:
                break
            chosen.append(doc)
            total += counts.get(doc[1], 0)
        out[size] = {"files": [d[0] for d in chosen], "segments": total,
                     "labels": {d[1]: d[2] for d in chosen if d[2] is not None}}
    return out


def _scores(doc_ids, topics, labels: dict) -> dict:
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    pairs = [(labels[d], t) for d, t in zip(doc_ids, topics, strict=True) if d in labels]
    if not pairs:
        return {"ari": None, "nmi": None}
    truth, found = zip(*pairs, strict=True)
    return {"ari": round(adjusted_rand_score(truth, found), 4),
            "nmi": round(normalized_mutual_info_score(truth, found), 4),
            "n_labelled": len(pairs)}


def _vmhwm_kb(pid: int | str = "self") -> int:
    """A process's peak RSS in kB (``VmHWM``); 0 if it is gone."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return 0
    return sum(int(line.split()[1]) for line in lines if line.startswith("VmHWM:"))


def _peak_rss_mb() -> int:
    """This process's peak RSS: VmHWM, because ru_maxrss survives fork+exec from the parent."""
    return round(_vmhwm_kb() / 1024) or round(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def _workers_peak_rss_mb() -> int:
    """Summed peak RSS of this process's live worker processes (UMAP's and HDBSCAN's).

    A sum of peaks, so an upper bound of what the workers held at one time; 0 without any.
    """
    pids = [pid for child in Path(f"/proc/{os.getpid()}/task").glob("*/children")
            for pid in child.read_text().split()]
    return round(sum(_vmhwm_kb(pid) for pid in pids) / 1024)


def _usage(start_wall: float, start_cpu: float) -> dict:
    return {"wall_s": round(time.perf_counter() - start_wall, 1),
            "cpu_s": round(time.process_time() - start_cpu, 1),
            "peak_rss_mb": _peak_rss_mb(), "workers_peak_rss_mb": _workers_peak_rss_mb(),
            "load1_after": round(os.getloadavg()[0], 2)}


def child_textmine(spec: dict, out: Path, min_topic_size: str, backend: str = "auto") -> dict:
    warnings.simplefilter("ignore")
    import numpy as np

    import textmine as tm

    load = os.getloadavg()[0]
    wall, cpu = time.perf_counter(), time.process_time()
    corpus = _segment(spec["files"])
    read_s = time.perf_counter() - wall
    embed = tm.tl.embed(corpus, progress=False, backend=backend)
    stats: dict = {}
    size = min_topic_size if min_topic_size == "auto" else int(min_topic_size)
    topics_start = time.perf_counter()
    tm.tl.topics(corpus, seed=0, min_topic_size=size, stats=stats)
    topics_s = time.perf_counter() - topics_start
    usage = _usage(wall, cpu)
    joined = tm.get.segments_with_topics(corpus)
    topics = joined["topic"].to_numpy()
    quality = tm.get.quality(corpus)
    if not out.exists():  # BERTopic gets exactly these texts
        out.write_text(json.dumps({"texts": corpus.segments["text"].tolist(),
                                   "doc_ids": corpus.segments["doc_id"].tolist()}))
    lengths = embed_token_count(corpus)
    again = {}
    if min_topic_size != "auto":
        # a notebook's next clustering change: BERTopic imported, corpus and embeddings in
        # memory; only tl.topics runs again
        start = time.perf_counter()
        tm.tl.topics(corpus, seed=0, min_topic_size=int(min_topic_size) + 10)
        again["topics_again_s"] = round(time.perf_counter() - start, 1)
    return {**usage, **again, "load1_before": load, "segments": len(corpus.segments),
            "read_segment_s": round(read_s, 1),
            "embed_s": embed.seconds, "embed_cache_hits": embed.cache_hits,
            "backend": corpus.uns["embeddings"][embed.key]["params"]["backend"],
            "topics_s": round(topics_s, 1),
            "umap_s": round(stats.get("umap_seconds", 0.0), 1),
            "umap_cache_hits": stats.get("umap_cache_hits"),
            "cluster_s": round(stats.get("cluster_seconds", 0.0), 1),
            "n_topics": int(quality["n_topics"]),
            "outlier_share": round(float(np.mean(topics == -1)), 4),
            "tokens": lengths,
            **_scores(joined["doc_id"], topics, spec["labels"])}


def embed_token_count(corpus) -> int:
    """Tokens MiniLM computes for these segments (special tokens in, no padding)."""
    from textmine.models.embedder import SentenceEmbedder
    from textmine.tl.embed import embedding_texts

    model = SentenceEmbedder("minilm").fit()
    return int(model.token_lengths(embedding_texts(corpus)).sum())


def child_bertopic(spec: dict, texts_file: Path) -> dict:
    warnings.simplefilter("ignore")
    import numpy as np
    from bertopic import BERTopic
    from sentence_transformers import SentenceTransformer

    from textmine.models.sources import minilm_folder

    data = json.loads(texts_file.read_text())
    load = os.getloadavg()[0]
    wall, cpu = time.perf_counter(), time.process_time()
    model = BERTopic(embedding_model=SentenceTransformer(str(minilm_folder()), device="cpu"))
    topics, _ = model.fit_transform(data["texts"])
    usage = _usage(wall, cpu)
    topics = np.asarray(topics)
    return {**usage, "load1_before": load, "segments": len(topics),
            "n_topics": int(len(set(topics.tolist()) - {-1})),
            "outlier_share": round(float(np.mean(topics == -1)), 4),
            **_scores(data["doc_ids"], topics, spec["labels"])}


def _run_child(args: list[str], env: dict) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", *args], env=env,
                         capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"{args[0]} child failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _rates() -> list[dict]:
    """This CPU's fp32 matmul rates in MiniLM's shapes (batches of 64, the ladder's lengths),
    on each kernel library at hand (bench/embed_floor.py's KERNELS)."""
    return [sustained_rate(64, seq, kernel=kernel)
            for kernel in KERNELS for seq in (16, 32, 64, 128, 256)]


def floor_rate(rates: list[dict]) -> tuple[float, str]:
    """The fastest kernel's median rate over the shapes: what this CPU sustains."""
    by_kernel = {}
    for row in rates:
        by_kernel.setdefault(row.get("kernel", "mkl"), []).append(row["gflops_median"])
    kernel = max(by_kernel, key=lambda k: statistics.median(by_kernel[k]))
    return statistics.median(by_kernel[kernel]), kernel


def _ratios(row: dict) -> None:
    """Every cold run of a size as a multiple of its floor."""
    for run in [k for k in row if k.startswith("textmine_cold")]:
        row["cold_over_floor" + run[len("textmine_cold"):]] = round(
            row[run]["wall_s"] / row["embed_floor_s"], 2)


def _set_floor(result: dict, rates: list[dict], key: str = "matmul_rates") -> None:
    """Record ``rates`` and, when they make a faster (stricter) floor, apply it to every row."""
    result[key] = rates
    gflops, kernel = floor_rate(rates)
    if gflops <= result.get("gflops_floor", 0.0):
        return
    result.update(gflops_floor=gflops, floor_kernel=kernel)
    for row in result["sizes"].values():
        row["embed_floor_s"] = round(row["textmine_cold"]["tokens"] * DENSE_FLOPS_PER_TOKEN
                                     / (gflops * 1e9), 1)
        _ratios(row)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 20000, 100000])
    parser.add_argument("--child", nargs="+")
    parser.add_argument("--keep-bertopic", action="store_true",
                        help="reuse the BERTopic row already in scale.json for a size of the "
                        "same segments (its run does not depend on textmine's code)")
    parser.add_argument("--backends", nargs="+", default=[],
                        choices=["auto", "torch", "onednn", "onnx"],
                        help="also time the cold run with these embed.backend values "
                        "(textmine_cold_<backend>)")
    parser.add_argument("--only", action="store_true",
                        help="run only the --backends rows again, beside the other rows already "
                        "in scale.json for the same segments on the same CPU")
    parser.add_argument("--refloor", action="store_true",
                        help="only measure the floor's rate again on this CPU and apply it to "
                        "the rows in scale.json when it is faster")
    args = parser.parse_args()
    if args.child:
        kind, spec_file, *rest = args.child
        spec = json.loads(Path(spec_file).read_text())
        if kind == "textmine":
            result = child_textmine(spec, Path(rest[0]), *rest[1:])
        else:
            result = child_bertopic(spec, Path(rest[0]))
        print(json.dumps(result))
        return
    warnings.simplefilter("ignore")
    path = RESULTS / "scale.json"
    result = json.loads(path.read_text()) if path.exists() else {}
    rerun = args.only or args.refloor
    if rerun and result.get("cpu") != _cpu_name():
        raise SystemExit("--only/--refloor: scale.json holds no run on this CPU")
    if args.refloor:
        _set_floor(result, _rates(), key="matmul_rates_refloor")
        result["refloor"] = {**machine(), "command": " ".join(sys.argv)}
        path.write_text(json.dumps(result, indent=2) + "\n")
        print(json.dumps({"gflops_floor": result["gflops_floor"],
                          "floor_kernel": result.get("floor_kernel")}))
        return
    if args.only:  # joins the rows of an earlier run on this CPU, and its floor
        result.setdefault("reruns", []).append(
            {**machine(), "command": " ".join(sys.argv), "packages": package_versions()})
    else:
        if result.get("cpu") != _cpu_name():
            result["sizes"] = {}  # rows from another machine are not comparable with these
        result.update({**machine(), "cpu": _cpu_name(), "command": " ".join(sys.argv),
                       "packages": package_versions()})
        result.pop("gflops_floor", None)
    result.setdefault("sizes", {})
    start_rates = None if args.only else _rates()
    with tempfile.TemporaryDirectory(prefix="textmine-scale-") as tmp:
        tmp_path = Path(tmp)
        specs = choose(_write_documents(tmp_path / "docs"), args.sizes)
        for size, spec in specs.items():
            spec_file = tmp_path / f"spec-{size}.json"
            spec_file.write_text(json.dumps(spec))
            texts = tmp_path / f"texts-{size}.json"
            env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1",
                   "TEXTMINE_CACHE_DIR": str(tmp_path / f"cache-{size}")}
            earlier = result["sizes"].get(str(size), {})
            if args.only and earlier.get("segments") != spec["segments"]:
                raise SystemExit(f"{size}: no row of the same segments on this CPU")
            row = earlier if args.only else {"documents": len(spec["files"]),
                                              "segments": spec["segments"]}
            if not args.only:
                row["textmine_cold"] = _run_child(
                    ["textmine", str(spec_file), str(texts), "auto"], env)
            for backend in args.backends:  # a cache folder of its own: a cold run of its own
                own = {**env, "TEXTMINE_CACHE_DIR": str(tmp_path / f"cache-{size}-{backend}")}
                row[f"textmine_cold_{backend}"] = _run_child(
                    ["textmine", str(spec_file), str(texts), "auto", backend], own)
            if not args.only:
                row["textmine_warm"] = _run_child(
                    ["textmine", str(spec_file), str(texts), "30"], env)
                if (args.keep_bertopic and "bertopic" in earlier
                        and earlier.get("segments") == spec["segments"]):
                    row["bertopic"] = {**earlier["bertopic"], "from_earlier_run": True}
                else:
                    row["bertopic"] = _run_child(["bertopic", str(spec_file), str(texts)], env)
                row["warm_over_bertopic"] = round(row["textmine_warm"]["wall_s"]
                                                  / row["bertopic"]["wall_s"], 3)
                row["embed_floor_s"] = 0.0  # set by _set_floor below
            result["sizes"][str(size)] = row
            if start_rates is not None and "gflops_floor" not in result:
                _set_floor(result, start_rates)
            elif not args.only:
                gflops = result["gflops_floor"]
                row["embed_floor_s"] = round(row["textmine_cold"]["tokens"]
                                             * DENSE_FLOPS_PER_TOKEN / (gflops * 1e9), 1)
            _ratios(row)
            result["loadavg_end"] = os.getloadavg()
            path.write_text(json.dumps(result, indent=2) + "\n")
            print(size, json.dumps(row), flush=True)
    if not args.only:
        # again at the end: a rate taken while the host was busy would make the floor too
        # lenient
        _set_floor(result, _rates(), key="matmul_rates_end")
    path.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
