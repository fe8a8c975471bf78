"""Measure pp.protect on identifiers planted into real transcripts (figures for docs/protect.md).

    python bench/protect_recall.py [--seeds 10] [--per-doc 40] [DATA_DIR]

Writes bench/results/protect_recall.json: recall by kind and form over all seeds, and the
replacements made in the same transcripts *without* plants (with the same rosters): every one
of those is a false positive or a real identifier the transcripts already held.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from planting import make_roster, plant, real_transcripts, write_roster  # noqa: E402
from test_protect_planted import recall  # noqa: E402

from textmine.pp.detect import Detector  # noqa: E402
from textmine.pp.roster import read_roster  # noqa: E402


def hard_forms(roster, rng) -> list[tuple[str, str]]:
    """Forms outside the design, to measure what is *not* caught: ``(form, identifier)``."""
    out = []
    for row in roster:
        if row["kind"] != "person":
            continue
        words = [w for w in row["name"].split() if w not in ("Dr", "Prof")]
        first, last = words[0], words[-1]
        out += [
            ("initial_surname", f"{first[0]}. {last}"),
            ("misspelt_surname", last[:-1] + ("e" if last[-1] != "e" else "a")),
            ("nickname", first[:3] + "ie"),
            ("email_spoken", f"{first.lower()} dot {last.lower()} at nhs dot net"),
        ]
    for _ in range(len(out) // 4):
        digits = "".join(str(rng.randint(0, 9)) for _ in range(9))
        out += [("phone_spaced_digits", "0 " + " ".join("7" + digits)),
                ("postcode_no_space_lower", rng.choice(["ls14ap", "sw1a1aa", "m11ae"]))]
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("data", nargs="?", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--per-doc", type=int, default=40)
    args = parser.parse_args()
    texts = real_transcripts(Path(args.data))
    planted, missed, false_kinds = Counter(), Counter(), Counter()
    hard_planted, hard_caught = Counter(), Counter()
    words = sum(len(t.split()) for t in texts.values())
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(args.seeds):
            roster = make_roster(seed)
            detector = Detector(read_roster(write_roster(Path(tmp) / "r.csv", roster)))
            study = plant(texts, roster, seed=seed + 100, per_doc=args.per_doc)
            p, m = recall(study, detector)
            planted += p
            missed += m
            for text in texts.values():
                false_kinds.update(f.kind for f in detector.find(text))
            for form, identifier in hard_forms(roster, random.Random(seed)):
                sentence = f"I think {identifier} said so."
                start = sentence.index(identifier)
                hard_planted[form] += 1
                end = start + len(identifier)
                covered = any(f.start <= start and f.end >= end for f in detector.find(sentence))
                hard_caught[form] += covered
    total, lost = sum(planted.values()), sum(missed.values())
    by_kind: dict[str, dict[str, int]] = {}
    for (kind, form), n in sorted(planted.items()):
        by_kind.setdefault(kind, {"planted": 0, "missed": 0})
        by_kind[kind]["planted"] += n
        by_kind[kind]["missed"] += missed[kind, form]
    result = {
        "documents": len(texts), "words": words, "seeds": args.seeds,
        "planted": total, "missed": lost, "recall": round(1 - lost / total, 5),
        "by_kind": by_kind,
        "by_form": {f"{k}/{f}": {"planted": n, "missed": missed[k, f]}
                    for (k, f), n in sorted(planted.items())},
        "replacements_without_plants_per_roster": {
            k: round(n / args.seeds, 1) for k, n in sorted(false_kinds.items())},
        "outside_the_design_caught": {
            form: f"{hard_caught[form]}/{n}" for form, n in sorted(hard_planted.items())},
        "seconds": round(time.perf_counter() - started, 1),
    }
    out = ROOT / "bench" / "results" / "protect_recall.json"
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
