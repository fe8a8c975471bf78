"""textmine: a computational second reading of qualitative interview transcripts.

One :class:`Corpus` travels through ``io`` (read) -> ``pp`` (protect, segment) -> ``tl``
(embed, topics, track, align) -> ``pl`` / ``tables`` (figures, tables, report).
"""

from importlib.metadata import PackageNotFoundError, version

# First of all: the Hugging Face libraries read their offline switches when imported.
from textmine.models.offline import enforce_offline

enforce_offline()

from textmine import get, io, pl, pp, tables, tl  # noqa: E402
from textmine.config import Config, load_config  # noqa: E402
from textmine.corpus import Corpus, Result  # noqa: E402
from textmine.errors import TextmineError, TextmineWarning  # noqa: E402
from textmine.pipeline import run  # noqa: E402

try:
    __version__ = version("textmine")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

__all__ = [
    "Config", "Corpus", "Result", "TextmineError", "TextmineWarning", "__version__", "get",
    "io", "load_config", "pl", "pp", "run", "tables", "tl",
]
