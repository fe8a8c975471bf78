"""The on-disk embedding cache: location, exact round trip, damage detection, two writers."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import platformdirs
import pytest

from textmine.errors import TextmineWarning
from textmine.models.cache import DB_NAME, EmbeddingCache, cache_location, text_key

MODEL = "0123456789abcdef0123456789abcdef"


def _vectors(n: int, dim: int = 384, seed: int = 0) -> np.ndarray:
    # real float32 values with all bit patterns a model produces (sign, tiny, large exponents)
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, dim)) * rng.choice([1e-8, 1.0, 1e3], (n, 1))).astype(
        np.float32)


def _texts(n: int, prefix: str = "t") -> list[str]:
    return [f"{prefix} {i}: the nurse listened to me, café ✓" for i in range(n)]


def test_cache_location_precedence(monkeypatch, tmp_path):
    monkeypatch.setenv("TEXTMINE_CACHE_DIR", str(tmp_path / "env"))
    assert cache_location(tmp_path / "cfg") == ((tmp_path / "cfg").resolve(), "config")
    assert cache_location(None) == ((tmp_path / "env").resolve(), "env TEXTMINE_CACHE_DIR")
    monkeypatch.delenv("TEXTMINE_CACHE_DIR")
    folder, why = cache_location()
    assert folder == Path(platformdirs.user_cache_dir("textmine", appauthor=False))
    assert why == "user cache folder"


def test_round_trip_is_bitwise_and_holds_no_text(tmp_path):
    cache = EmbeddingCache(tmp_path)
    texts = _texts(50)
    shas = [text_key(t) for t in texts]
    vectors = _vectors(50)
    cache.put(MODEL, shas, vectors)
    got = cache.get(MODEL, shas + [text_key("never stored")])
    assert set(got) == set(shas)
    for sha, vec in zip(shas, vectors, strict=True):
        assert got[sha].dtype == np.float32 and got[sha].tobytes() == vec.tobytes()
    assert cache.get("another-model", shas) == {}  # keyed by model too
    raw = (tmp_path / DB_NAME).read_bytes()
    assert b"nurse" not in raw and "café".encode() not in raw  # hashes only, no text


def test_cache_folder_is_private(tmp_path):
    EmbeddingCache(tmp_path / "new")
    assert (tmp_path / "new").stat().st_mode & 0o077 == 0


def test_damaged_rows_are_detected_and_never_returned(tmp_path):
    cache = EmbeddingCache(tmp_path)
    texts = _texts(10)
    shas = [text_key(t) for t in texts]
    cache.put(MODEL, shas, _vectors(10))
    with sqlite3.connect(tmp_path / DB_NAME) as con:
        blob = bytearray(con.execute("SELECT vec FROM vectors WHERE text_sha=?",
                                     (shas[0],)).fetchone()[0])
        blob[100] ^= 0x01  # one bit flipped
        con.execute("UPDATE vectors SET vec=? WHERE text_sha=?", (bytes(blob), shas[0]))
        con.execute("UPDATE vectors SET vec=substr(vec, 1, 40) WHERE text_sha=?", (shas[1],))
        # two rows whose vectors were swapped: each is a valid vector, under the wrong key
        a, b = (con.execute("SELECT vec, checksum FROM vectors WHERE text_sha=?", (s,)).fetchone()
                for s in shas[2:4])
        con.execute("UPDATE vectors SET vec=?, checksum=? WHERE text_sha=?", (*b, shas[2]))
        con.execute("UPDATE vectors SET vec=?, checksum=? WHERE text_sha=?", (*a, shas[3]))
    fresh = EmbeddingCache(tmp_path)
    got = fresh.get(MODEL, shas)
    assert set(got) == set(shas[4:])
    assert fresh.corrupt_rows == 4
    # overwriting a damaged row repairs it
    fresh.put(MODEL, shas[:4], _vectors(4, seed=1))
    again = EmbeddingCache(tmp_path)
    assert len(again.get(MODEL, shas)) == 10 and again.corrupt_rows == 0


def test_unreadable_database_is_set_aside_with_a_warning(tmp_path):
    (tmp_path / DB_NAME).write_bytes(b"this is not an SQLite file" * 100)
    with pytest.warns(TextmineWarning, match=DB_NAME):
        cache = EmbeddingCache(tmp_path)
    aside = list(tmp_path.glob(f"{DB_NAME}.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_bytes().startswith(b"this is not")
    shas = [text_key(t) for t in _texts(3)]
    cache.put(MODEL, shas, _vectors(3))
    assert len(cache.get(MODEL, shas)) == 3


def test_database_damaged_while_open_is_set_aside_on_read(tmp_path):
    cache = EmbeddingCache(tmp_path)
    shas = [text_key(t) for t in _texts(3)]
    cache.put(MODEL, shas, _vectors(3))
    (tmp_path / DB_NAME).write_bytes(b"\0garbage" * 512)
    with pytest.warns(TextmineWarning, match="moved to"):
        assert cache.get(MODEL, shas) == {}
    cache.put(MODEL, shas, _vectors(3))
    assert len(cache.get(MODEL, shas)) == 3


WRITER = textwrap.dedent("""
    import sys
    import numpy as np
    from textmine.models.cache import EmbeddingCache, text_key
    folder, worker = sys.argv[1], int(sys.argv[2])
    cache = EmbeddingCache(folder)
    for batch in range(25):
        # half of each batch is shared with the other writer (same texts, same vectors)
        texts = [f"shared {batch} {i}" for i in range(20)]
        texts += [f"own {worker} {batch} {i}" for i in range(20)]
        vectors = np.stack([np.full(384, hash(t) % 997, dtype=np.float32) for t in texts])
        cache.put("m", [text_key(t) for t in texts], vectors)
        got = cache.get("m", [text_key(t) for t in texts])
        assert len(got) == 40, len(got)
    print("done", worker)
""")


def test_two_processes_writing_at_once(tmp_path):
    env = {**os.environ, "PYTHONHASHSEED": "0"}  # both writers compute the same vectors
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), str(w)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for w in (1, 2)]
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        assert out.startswith("done")
    cache = EmbeddingCache(tmp_path)
    texts = [f"shared {b} {i}" for b in range(25) for i in range(20)]
    texts += [f"own {w} {b} {i}" for w in (1, 2) for b in range(25) for i in range(20)]
    got = cache.get("m", [text_key(t) for t in texts])
    assert len(got) == len(texts) == 1500 and cache.corrupt_rows == 0
    with sqlite3.connect(tmp_path / DB_NAME) as con:
        assert con.execute("SELECT count(*) FROM vectors").fetchone()[0] == 1500
