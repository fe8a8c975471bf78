"""Derive metadata.csv from the transcript file names (P{n}_GMT{YYYYMMDD}.txt).

Run from this folder: ``python make_metadata.py``. The output is committed; this script
documents how it was made.
"""

import csv
import re
from pathlib import Path

here = Path(__file__).parent
rows = []
for path in sorted(here.glob("transcripts/*.txt"), key=lambda p: int(p.stem.split("_")[0][1:])):
    m = re.fullmatch(r"P(\d+)_GMT(\d{4})(\d{2})(\d{2})", path.stem)
    number, year, month, day = m.groups()
    rows.append({
        "doc_id": path.stem,
        "participant": f"P{number}",
        "session_date": f"{year}-{month}-{day}",
        "month": f"{year}-{month}",
    })
with open(here / "metadata.csv", "w", newline="", encoding="utf-8") as handle:
    writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
