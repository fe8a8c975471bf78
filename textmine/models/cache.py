"""The on-disk embedding cache: a re-run embeds only texts it has not seen.

Where it lives (first that applies): the ``embed.cache_dir`` config key (or ``cache_dir=``
in a notebook), the ``TEXTMINE_CACHE_DIR`` environment variable, the user's cache folder
(``platformdirs.user_cache_dir("textmine")``, e.g. ``~/.cache/textmine`` on Linux).

What it holds: one SQLite file, ``embeddings-v1.sqlite3``, with one row per
``(model key, sha256 of the exact text)``: the float32 vector and a checksum. No text is
stored, only its hash, so the cache holds no transcript text. The model key combines the
model's content hash with the versions of the libraries that compute the vectors, so a hit
is exactly what a fresh encode would return on this installation.

Why SQLite: every write is a transaction (all rows of a batch or none, even if the process
is killed), readers never see half a row, and it is in the standard library. Writers also
take a file lock (``embeddings-v1.sqlite3.lock``), so two runs at once queue rather than
fight. Each row carries a BLAKE2b checksum of its key, dimension and bytes, verified on every
read: a damaged row is never used; it is recomputed, overwritten and counted
(``corrupt_recomputed``). A database file that SQLite cannot read at all is moved aside
(``*.corrupt-<time>``) with a warning and a new one is started.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import time
import warnings
from collections.abc import Iterable, Sequence
from contextlib import closing
from pathlib import Path

import numpy as np
from filelock import FileLock, Timeout

from textmine.errors import TextmineWarning

CACHE_ENV = "TEXTMINE_CACHE_DIR"
DB_NAME = "embeddings-v1.sqlite3"
SCHEMA_VERSION = "1"
# SQLite's limit on bound parameters is 32766 in current builds, 999 in old ones
_CHUNK = 900
_LOCK_TIMEOUT_S = 600.0
_BUSY_TIMEOUT_S = 600.0


def cache_location(configured: str | Path | None = None) -> tuple[Path, str]:
    """The cache folder and where that choice came from.

    Parameters
    ----------
    configured
        ``embed.cache_dir`` (config) or ``cache_dir=`` (notebook); wins over the rest.

    Returns
    -------
    (Path, str)
        The folder (not created here) and ``"config"``, ``"env TEXTMINE_CACHE_DIR"`` or
        ``"user cache folder"``.
    """
    if configured:
        return Path(configured).expanduser().resolve(), "config"
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser().resolve(), f"env {CACHE_ENV}"
    import platformdirs

    return Path(platformdirs.user_cache_dir("textmine", appauthor=False)), "user cache folder"


def text_key(text: str) -> bytes:
    """The cache key of a text: sha256 of its exact UTF-8 bytes (the text is not stored)."""
    return hashlib.sha256(text.encode("utf-8")).digest()


def _checksum(model_key: str, text_sha: bytes, dim: int, blob: bytes) -> bytes:
    # Covers the key too: a row whose vector was swapped with another row's fails the check.
    digest = hashlib.blake2b(digest_size=16)
    for part in (model_key.encode(), text_sha, dim.to_bytes(4, "little"), blob):
        digest.update(part)
    return digest.digest()


class EmbeddingCache:
    """Vectors by ``(model key, text sha256)`` in one SQLite file under a cache folder.

    Parameters
    ----------
    folder
        The cache folder (created if needed).

    Attributes
    ----------
    path
        The SQLite file.
    corrupt_rows
        Rows found damaged (and treated as misses) since this object was made.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.path = self.folder / DB_NAME
        self.corrupt_rows = 0
        # private to the user: the vectors are derived from confidential transcripts
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._lock = FileLock(str(self.path) + ".lock", timeout=_LOCK_TIMEOUT_S)
        self._ensure_schema()

    # ------------------------------------------------------------------ connection
    def _connect(self) -> sqlite3.Connection:
        # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE ... COMMIT)
        return sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT_S, isolation_level=None)

    def _ensure_schema(self) -> None:
        try:
            self._create()
        except sqlite3.DatabaseError as exc:
            self._set_aside(exc)
            self._create()

    def _create(self) -> None:
        with self._locked(), closing(self._connect()) as con:
            con.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            con.execute(
                "CREATE TABLE IF NOT EXISTS vectors (model TEXT NOT NULL, text_sha BLOB NOT NULL,"
                " dim INTEGER NOT NULL, vec BLOB NOT NULL, checksum BLOB NOT NULL,"
                " PRIMARY KEY (model, text_sha)) WITHOUT ROWID")
            con.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
            (version,) = con.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
            if version != SCHEMA_VERSION:
                raise sqlite3.DatabaseError(f"cache schema {version}, expected {SCHEMA_VERSION}")

    def _locked(self):
        try:
            return self._lock.acquire()
        except Timeout:
            from textmine.errors import ModelError

            raise ModelError(f"the embedding cache stayed locked for {_LOCK_TIMEOUT_S:.0f} s",
                             path=Path(self._lock.lock_file),
                             hint="another textmine run is writing to it; wait, or set "
                                  "embed.cache_dir to another folder") from None

    def _set_aside(self, exc: Exception) -> None:
        """Move an unreadable database out of the way (kept for inspection), start afresh."""
        with self._locked():
            if not self.path.exists():
                return
            aside = self.path.with_name(f"{DB_NAME}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}-"
                                        f"{os.getpid()}")
            os.replace(self.path, aside)
            for suffix in ("-journal", "-wal", "-shm"):
                extra = Path(str(self.path) + suffix)
                if extra.exists():
                    os.replace(extra, Path(str(aside) + suffix))
        warnings.warn(
            f"{self.path}: the embedding cache could not be read ({exc}); it was moved to "
            f"{aside.name} and a new cache was started (its vectors will be recomputed)",
            TextmineWarning, stacklevel=3)

    # ------------------------------------------------------------------ reading
    def get(self, model_key: str, text_shas: Sequence[bytes]) -> dict[bytes, np.ndarray]:
        """Cached vectors of these texts under this model (damaged rows left out and counted).

        Returns
        -------
        dict
            ``{text sha256: float32 vector}`` for the hits.
        """
        try:
            return self._get(model_key, text_shas)
        except sqlite3.DatabaseError as exc:
            self._set_aside(exc)
            self._create()
            return {}

    def _get(self, model_key: str, text_shas: Sequence[bytes]) -> dict[bytes, np.ndarray]:
        found: dict[bytes, np.ndarray] = {}
        unique = list(dict.fromkeys(text_shas))
        with closing(self._connect()) as con:
            # a damaged row may hold TEXT where a BLOB belongs: read bytes, let the check judge
            con.text_factory = bytes
            for start in range(0, len(unique), _CHUNK):
                chunk = unique[start:start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                rows = con.execute(
                    f"SELECT text_sha, dim, vec, checksum FROM vectors "  # noqa: S608 (marks only)
                    f"WHERE model = ? AND text_sha IN ({marks})", (model_key, *chunk))
                for text_sha, dim, blob, checksum in rows:
                    if not (isinstance(blob, bytes) and isinstance(dim, int)
                            and isinstance(checksum, bytes) and isinstance(text_sha, bytes)
                            and dim > 0 and len(blob) == 4 * dim
                            and checksum == _checksum(model_key, text_sha, dim, blob)):
                        self.corrupt_rows += 1
                        continue
                    found[text_sha] = np.frombuffer(blob, dtype="<f4").copy()
        return found

    # ------------------------------------------------------------------ writing
    def put(self, model_key: str, text_shas: Sequence[bytes], vectors: np.ndarray) -> None:
        """Store vectors (float32 rows), replacing any row with the same key, in one transaction."""
        vectors = np.ascontiguousarray(vectors, dtype="<f4")
        if len(text_shas) != len(vectors):
            raise ValueError("one vector per text sha")
        dim = int(vectors.shape[1]) if vectors.ndim == 2 else 0
        rows = [(model_key, sha, dim, vec.tobytes(), _checksum(model_key, sha, dim, vec.tobytes()))
                for sha, vec in zip(text_shas, vectors, strict=True)]
        if not rows:
            return
        try:
            self._put(rows)
        except sqlite3.DatabaseError as exc:
            self._set_aside(exc)
            self._create()
            self._put(rows)

    def _put(self, rows: Iterable[tuple]) -> None:
        with self._locked(), closing(self._connect()) as con:
            con.execute("BEGIN IMMEDIATE")
            try:
                con.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?, ?, ?)", rows)
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise

    # ------------------------------------------------------------------ summary
    def summary(self) -> dict[str, int]:
        """Rows per model key and the file's size in bytes (for ``textmine info``)."""
        with closing(self._connect()) as con:
            per_model = dict(con.execute("SELECT model, count(*) FROM vectors GROUP BY model"))
        return {"bytes": self.path.stat().st_size, **per_model}
