"""textmine's on-disk caches, under one policy: a re-run recomputes only what it has not seen.

One policy for every cache (the embeddings here, the UMAP reductions through
:class:`ArrayCache`, the distilled static model in ``models/``):

* **Where** (first that applies): the ``embed.cache_dir`` config key (or ``cache_dir=`` in a
  notebook), the ``TEXTMINE_CACHE_DIR`` environment variable, the user's cache folder
  (``platformdirs.user_cache_dir("textmine")``, e.g. ``~/.cache/textmine`` on Linux):
  :func:`cache_location`.
* **Off**: ``embed.cache: false`` neither reads nor writes the embedding or UMAP caches.
* **Private**: every cache folder is created readable by the user only (mode 700,
  :func:`private_folder`): the entries are derived from confidential transcripts.
* **Never fatal**: a cache folder that cannot be created or written is reported with a
  warning and the work is done without it (:func:`open_embedding_cache`,
  :func:`open_array_cache`).
* **Verified**: every entry carries a checksum of its key and bytes, checked on every read;
  an entry that fails is never used: it is recomputed and overwritten, with a warning.

The embedding cache:

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
import tempfile
import time
import warnings
from collections.abc import Iterable, Sequence
from contextlib import closing
from pathlib import Path

import numpy as np
from filelock import FileLock, Timeout

from textmine.errors import TextmineWarning

CACHE_ENV = "TEXTMINE_CACHE_DIR"
ARRAY_FORMAT = 1
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


def private_folder(folder: Path) -> Path:
    """Create ``folder`` (and its parents) readable by the user only; ``OSError`` if it cannot.

    An existing folder is not made more private than it is: that is its owner's choice.
    """
    folder = Path(folder)
    for parent in reversed([folder, *folder.parents]):
        if not parent.exists():
            parent.mkdir(mode=0o700)
    if not folder.is_dir():
        raise NotADirectoryError(f"{folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise PermissionError(f"{folder} is not writable")
    return folder


def _unusable(what: str, folder: Path, exc: BaseException, stacklevel: int = 3) -> None:
    warnings.warn(f"{folder}: the {what} cannot be used ({exc}); working without it (set "
                  "embed.cache_dir or TEXTMINE_CACHE_DIR to a writable folder)",
                  TextmineWarning, stacklevel=stacklevel)


def open_embedding_cache(root: Path) -> EmbeddingCache | None:
    """The embedding cache under ``root``, or ``None`` (with a warning) if it cannot be used."""
    try:
        return EmbeddingCache(root)
    except (OSError, sqlite3.Error) as exc:
        _unusable("embedding cache", root, exc, stacklevel=4)
        return None


def open_array_cache(name: str, *, enabled: bool = True,
                     configured: str | Path | None = None) -> ArrayCache | None:
    """The array cache ``<cache>/<name>/``, or ``None`` when caching is off or impossible.

    Parameters
    ----------
    name
        Sub-folder, one per kind of array (``"umap"``).
    enabled
        ``embed.cache``: ``False`` gives ``None`` (nothing is read or written).
    configured
        ``embed.cache_dir`` (see :func:`cache_location`).
    """
    if not enabled:
        return None
    root, _ = cache_location(configured)
    try:
        return ArrayCache(root / name)
    except OSError as exc:
        _unusable(f"{name} cache", root / name, exc, stacklevel=4)
        return None


def _array_checksum(key: str, array: np.ndarray) -> bytes:
    # covers the key, dtype and shape too: an entry copied over another's name fails
    digest = hashlib.blake2b(digest_size=16)
    for part in (key.encode(), array.dtype.str.encode(), repr(array.shape).encode(),
                 np.ascontiguousarray(array).tobytes()):
        digest.update(part)
    return digest.digest()


class ArrayCache:
    """Arrays by key, one ``<key>.npz`` each (the array and its checksum) in one folder.

    Entries are written atomically (a temporary file moved into place) and verified on every
    read: an unreadable entry, or one whose checksum, key or shape does not match, is never
    returned; it counts in ``corrupt`` and is reported with a warning, and the caller's
    recomputed array overwrites it.

    Parameters
    ----------
    folder
        The cache folder (created private to the user).
    """

    def __init__(self, folder: Path) -> None:
        self.folder = private_folder(Path(folder))
        self.corrupt = 0
        self._write_failed = False

    def path(self, key: str) -> Path:
        """The file of an entry."""
        if not key or not all(c.isalnum() or c in "-_" for c in key):
            raise ValueError(f"cache key {key!r} must be letters, digits, - and _")
        return self.folder / f"{key}.npz"

    def get(self, key: str, *, shape: tuple[int, ...] | None = None) -> np.ndarray | None:
        """The verified array stored under ``key`` (of ``shape`` if given), else ``None``."""
        path = self.path(key)
        if not path.is_file():
            return None
        try:
            with np.load(path, allow_pickle=False) as stored:
                array, checksum = stored["array"], stored["checksum"].tobytes()
                version = int(stored["format"])
            valid = (version == ARRAY_FORMAT and checksum == _array_checksum(key, array)
                     and (shape is None or array.shape == tuple(shape)))
        except Exception:  # noqa: BLE001 - whatever is wrong with the file, it is recomputed
            valid = False
        if not valid:
            self.corrupt += 1
            warnings.warn(f"{path}: a cached entry failed its check (damaged or replaced); it "
                          "is recomputed and overwritten", TextmineWarning, stacklevel=3)
            return None
        return array

    def put(self, key: str, array: np.ndarray) -> bool:
        """Store ``array`` under ``key``; ``False`` (with one warning) if it cannot be written."""
        path = self.path(key)
        array = np.ascontiguousarray(array)
        tmp = None
        try:
            handle, tmp = tempfile.mkstemp(dir=self.folder, prefix=f".{key}.", suffix=".tmp")
            with os.fdopen(handle, "wb") as out:
                np.savez(out, array=array,
                         checksum=np.frombuffer(_array_checksum(key, array), dtype=np.uint8),
                         format=np.array(ARRAY_FORMAT))
            os.replace(tmp, path)
            return True
        except OSError as exc:
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)
            if not self._write_failed:
                self._write_failed = True
                _unusable("cache", self.folder, exc)
            return False


def text_key(text: str) -> bytes:
    """The cache key of a text: sha256 of its exact UTF-8 bytes (the text is not stored)."""
    return hashlib.sha256(text.encode("utf-8")).digest()


def _disk_full(exc: sqlite3.DatabaseError) -> bool:
    """SQLITE_FULL: the disk (or quota) is full, which moving the database aside cannot fix."""
    return getattr(exc, "sqlite_errorname", "") == "SQLITE_FULL" or "disk is full" in str(exc)


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
    unsaved_rows
        Rows not written because the disk was full (warned once; the run goes on).
    """

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.path = self.folder / DB_NAME
        self.corrupt_rows = 0
        self.unsaved_rows = 0
        # private to the user: the vectors are derived from confidential transcripts
        private_folder(self.folder)
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
            if _disk_full(exc):  # the transaction was rolled back: no row of it is stored
                self.unsaved_rows += len(rows)
                if self.unsaved_rows == len(rows):
                    warnings.warn(
                        f"{self.path}: the disk is full ({exc}); vectors are not being "
                        "cached (this run goes on; the next one computes them again)",
                        TextmineWarning, stacklevel=3)
                return
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
