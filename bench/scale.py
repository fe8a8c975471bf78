"""textmine against BERTopic's defaults on the same segments, at 1k to 100k+ segments.

    .venv/bin/python bench/scale.py [--sizes 1000 5000 20000 100000] [--onnx]

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

``--onnx`` adds a fourth row per size, ``textmine_cold_onnx``: the cold run with
``embed.backend: onnx`` (the first-use export inside it, as a new user pays it), with an
empty cache of its own; ``--only-onnx`` runs that row alone again beside the rows of an
earlier run on the same CPU (and its floor), e.g. after a change to the ONNX path.

The floor's rate is measured at the start of the run on this machine (the matmul shapes of
bench/embed_floor.py), not read from ``embed_floor.json``: the rate moves from one machine
to the next (128 GFLOP/s in embed_floor.json, 194 on the machine of the 2026-12-04 run), and
a floor from another machine makes the ratio meaningless.
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
from embed_floor import DENSE_FLOPS_PER_TOKEN, _cpu_name, sustained_rate

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


def child_textmine(spec: dict, out: Path, min_topic_size: str, backend: str = "torch") -> dict:
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
    """This CPU's fp32 matmul rates in MiniLM's shapes (batches of 64, the ladder's lengths)."""
    return [sustained_rate(64, seq) for seq in (16, 32, 64, 128, 256)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 20000, 100000])
    parser.add_argument("--child", nargs="+")
    parser.add_argument("--keep-bertopic", action="store_true",
                        help="reuse the BERTopic row already in scale.json for a size of the "
                        "same segments (its run does not depend on textmine's code)")
    parser.add_argument("--only-onnx", action="store_true",
                        help="run only textmine_cold_onnx again, beside the other rows already "
                        "in scale.json for the same segments on the same CPU")
    parser.add_argument("--onnx", action="store_true",
                        help="also time the cold run with embed.backend onnx "
                        "(textmine_cold_onnx)")
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
    per_token = float(DENSE_FLOPS_PER_TOKEN)
    path = RESULTS / "scale.json"
    result = json.loads(path.read_text()) if path.exists() else {}
    if args.only_onnx:  # joins the rows of an earlier run on this CPU, and its floor
        if result.get("cpu") != _cpu_name():
            raise SystemExit("--only-onnx: scale.json holds no run on this CPU")
        gflops = result["gflops_floor"]
        result["onnx_rerun"] = {**machine(), "command": " ".join(sys.argv),
                                "packages": package_versions()}
    else:
        rates = _rates()
        gflops = statistics.median(r["gflops_median"] for r in rates)
        if result.get("cpu") != _cpu_name():
            result["sizes"] = {}  # rows from another machine are not comparable with these
        result.update({**machine(), "cpu": _cpu_name(), "command": " ".join(sys.argv),
                       "gflops_floor": gflops, "matmul_rates": rates,
                       "packages": package_versions()})
    result.setdefault("sizes", {})
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
            if args.only_onnx:
                if earlier.get("segments") != spec["segments"]:
                    raise SystemExit(f"{size}: no row of the same segments on this CPU")
                row = earlier
                onnx_env = {**env, "TEXTMINE_CACHE_DIR": str(tmp_path / f"cache-{size}-onnx")}
                row["textmine_cold_onnx"] = _run_child(
                    ["textmine", str(spec_file), str(texts), "auto", "onnx"], onnx_env)
                row["cold_over_floor_onnx"] = round(row["textmine_cold_onnx"]["wall_s"]
                                                    / row["embed_floor_s"], 2)
                path.write_text(json.dumps(result, indent=2) + "\n")
                print(size, json.dumps(row), flush=True)
                continue
            row = {"documents": len(spec["files"]), "segments": spec["segments"]}
            row["textmine_cold"] = _run_child(["textmine", str(spec_file), str(texts), "auto"],
                                              env)
            if args.onnx:  # its own cache folder: a cold run of its own
                onnx_env = {**env, "TEXTMINE_CACHE_DIR": str(tmp_path / f"cache-{size}-onnx")}
                row["textmine_cold_onnx"] = _run_child(
                    ["textmine", str(spec_file), str(texts), "auto", "onnx"], onnx_env)
            row["textmine_warm"] = _run_child(["textmine", str(spec_file), str(texts), "30"],
                                              env)
            if (args.keep_bertopic and "bertopic" in earlier
                    and earlier.get("segments") == spec["segments"]):
                row["bertopic"] = {**earlier["bertopic"], "from_earlier_run": True}
            else:
                row["bertopic"] = _run_child(["bertopic", str(spec_file), str(texts)], env)
            tokens = row["textmine_cold"]["tokens"]
            row["embed_floor_s"] = round(tokens * per_token / (gflops * 1e9), 1)
            row["cold_over_floor"] = round(row["textmine_cold"]["wall_s"]
                                           / row["embed_floor_s"], 2)
            row["warm_over_bertopic"] = round(row["textmine_warm"]["wall_s"]
                                              / row["bertopic"]["wall_s"], 3)
            if args.onnx:
                row["cold_over_floor_onnx"] = round(row["textmine_cold_onnx"]["wall_s"]
                                                    / row["embed_floor_s"], 2)
            result["sizes"][str(size)] = row
            result["loadavg_end"] = os.getloadavg()
            path.write_text(json.dumps(result, indent=2) + "\n")
            print(size, json.dumps(row), flush=True)
    if args.only_onnx:
        return
    # again at the end: a rate taken while the host was busy would make the floor too lenient
    end = _rates()
    result["matmul_rates_end"] = end
    later = statistics.median(r["gflops_median"] for r in end)
    if later > gflops:
        result["gflops_floor"] = later
        for size in specs:
            row = result["sizes"][str(size)]
            row["embed_floor_s"] = round(row["embed_floor_s"] * gflops / later, 1)
            for key in ("cold_over_floor", "cold_over_floor_onnx"):
                run = "textmine_cold" + key[len("cold_over_floor"):]
                if run in row:
                    row[key] = round(row[run]["wall_s"] / row["embed_floor_s"], 2)
    path.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
