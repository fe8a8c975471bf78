"""textmine: a computational second reading of qualitative interview transcripts.

One :class:`Corpus` travels through ``io`` (read) -> ``pp`` (protect, segment) -> ``tl``
(embed, topics, track, align) -> ``pl`` / ``tables`` (figures, tables, report).
"""

from importlib.metadata import PackageNotFoundError, version

from textmine import get, io, pl, pp, tables, tl
from textmine.config import Config, load_config
from textmine.corpus import Corpus, Result
from textmine.errors import TextmineError, TextmineWarning
from textmine.pipeline import run

try:
    __version__ = version("textmine")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

__all__ = [
    "Config", "Corpus", "Result", "TextmineError", "TextmineWarning", "__version__", "get",
    "io", "load_config", "pl", "pp", "run", "tables", "tl",
]
