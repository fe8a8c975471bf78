"""Shared helpers of the embedding benchmarks: real data sets, a corpus of plain texts, timing.

The machine may be shared: every number is reported with the 1-minute load average and the
process CPU time next to the wall-clock time, and compared numbers are measured back to back
(interleaved repetitions).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"


def data_dir() -> Path:
    env = os.environ.get("TEXTMINE_DATA_DIR")
    for candidate in ([Path(env)] if env else []) + [p / "shared" / "data" for p in ROOT.parents]:
        if (candidate / "README.md").is_file():
            return candidate
    raise SystemExit("shared data not found: set TEXTMINE_DATA_DIR")


def nhs_comments() -> list[str]:
    """Non-empty, distinct NHS Friends-and-Family-Test comments, in file order."""
    table = pd.read_csv(data_dir() / "nhs_patient_experience" / "v6framework_230831.csv")
    text = table["FFT answer"].dropna().astype(str).str.strip()
    return list(dict.fromkeys(text[text != ""]))


def nhs_single_label() -> tuple[list[str], list[str]]:
    """NHS comments with exactly one category of the v6 framework (the human label)."""
    table = pd.read_csv(data_dir() / "nhs_patient_experience" / "v6framework_230831.csv")
    cols = list(table.columns)
    cats = cols[cols.index("Comment sentiment") + 1:]
    onehot = table[cats].fillna(0).astype(int)
    text = table["FFT answer"].fillna("").astype(str).str.strip()
    keep = (onehot.sum(axis=1) == 1) & (text != "")
    labels = onehot[keep].idxmax(axis=1)
    frame = pd.DataFrame({"text": text[keep], "label": labels})
    frame = frame[~frame["label"].isin(["Labelling not possible", "Not assigned"])]
    frame = frame.drop_duplicates("text")
    return frame["text"].tolist(), frame["label"].tolist()


def serdif_quotes() -> tuple[list[str], list[str]]:
    """SERDIF think-aloud quotes with exactly one tag (the human label)."""
    table = pd.read_csv(ROOT / "examples" / "serdif_thinkaloud" / "codes" /
                        "all_tags_20220303.csv")
    table["content"] = table["content"].astype(str).str.strip()
    tags = table.groupby("content")["tag"].nunique()
    single = table[table["content"].map(tags) == 1].drop_duplicates("content")
    return single["content"].tolist(), single["tag"].tolist()


def focus_group_spans() -> tuple[list[str], list[str]]:
    """Open-science focus-group coded spans with one code family (the human label).

    The 377 fine codes (``B-OPR``, ``F-SA``...) are grouped by family, the part before the
    dash (B = barrier, F = facilitator, PE = prior experience...); spans coded with more than
    one family, and families with fewer than 5 spans, are left out.
    """
    table = pd.read_csv(data_dir() / "os_focus_groups" / "Data" / "Prepped Data" /
                        "codeReferences.csv")
    table["Comment"] = table["Comment"].astype(str).str.strip()
    table["family"] = table["Code"].astype(str).str.split("-").str[0].str.strip()
    table = table[~table["family"].str.contains(",")]
    families = table.groupby("Comment")["family"].nunique()
    single = table[table["Comment"].map(families) == 1].drop_duplicates("Comment")
    sizes = single["family"].value_counts()
    single = single[single["family"].map(sizes) >= 5]
    return single["Comment"].tolist(), single["family"].tolist()


def corpus_from_texts(texts: list[str]):
    """A Corpus with one document and one segment per text (what tl.embed needs)."""
    import textmine as tm

    ids = [f"t{i}" for i in range(len(texts))]
    documents = pd.DataFrame({
        "doc_id": ids, "source": "bench", "format": "text", "labels": "none",
        "sha256": [hashlib.sha256(t.encode()).hexdigest() for t in texts],
        "n_chars": [max(len(t), 1) for t in texts], "n_turns": 1})
    turns = pd.DataFrame({
        "doc_id": ids, "turn": 0, "speaker": "P", "role": "participant", "start_char": 0,
        "end_char": [max(len(t), 1) for t in texts], "start_time": float("nan"), "text": texts})
    segments = turns.drop(columns=["start_time"]).assign(
        segment_id=[f"{i}:0-{max(len(t), 1)}" for i, t in zip(ids, texts, strict=True)])
    return tm.Corpus(documents, turns, segments)


def timed(fn):
    """``(result, wall seconds, process CPU seconds, 1-min load before)``."""
    load = os.getloadavg()[0]
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - wall, time.process_time() - cpu, load


def machine() -> dict:
    import torch

    return {"python": platform.python_version(), "cpus": os.cpu_count(),
            "torch_threads": torch.get_num_threads(), "loadavg_start": os.getloadavg()}


def write(name: str, result: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return path
