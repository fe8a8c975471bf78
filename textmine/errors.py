"""One exception hierarchy, so the CLI can turn every expected failure into one clear line.

Every error names where the problem is (a file, a line, a config key) and what to do about it.
Messages never quote transcript text: participants' words must not end up in logs.
"""

from __future__ import annotations

from pathlib import Path


class TextmineError(Exception):
    """Base class of every error textmine raises on purpose.

    Parameters
    ----------
    message
        What is wrong, without transcript text.
    path
        The file the problem is in, if any.
    line
        1-based line (or row) in that file, if known.
    key
        The config key or column concerned, if any.
    hint
        What the user can do about it.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        key: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.path = Path(path) if path is not None else None
        self.line = line
        self.key = key
        self.hint = hint
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = str(self.path)
            if self.line is not None:
                where += f", line {self.line}"
            where += ": "
        elif self.line is not None:
            where = f"line {self.line}: "
        text = where + self.message
        if self.hint:
            text += f" ({self.hint})"
        return text

    def __reduce__(self):  # keep keyword arguments when pickled across processes
        return (_rebuild, (type(self), self.message, self.path, self.line, self.key, self.hint))


def _rebuild(cls, message, path, line, key, hint):
    return cls(message, path=path, line=line, key=key, hint=hint)


class ConfigError(TextmineError):
    """The YAML config is malformed, has an unknown key or a value of the wrong type."""


class OutputError(ConfigError):
    """An output path textmine refuses (see :mod:`textmine.io.guard`).

    It would delete or overwrite what textmine did not make, mix outputs with the inputs,
    or it cannot be written.
    """


class InputError(TextmineError):
    """An input file is missing, unreadable or malformed."""


class TranscriptError(InputError):
    """A transcript cannot be read: wrong format, undecodable, empty."""


class MetadataError(InputError):
    """The metadata sheet does not fit the transcripts (ids, columns, dates)."""


class CodesError(InputError):
    """Human codes that cannot be attached to the transcripts."""


class QDAError(CodesError):
    """A QDA project (REFI-QDA .qdpx, QualCoder .qda, Taguette .sqlite3) that cannot be read."""


class RosterError(InputError):
    """The pseudonymisation roster is missing, malformed or contradicts itself."""


class ProtectError(TextmineError):
    """An identifier would have been written: the run stops before anything is written."""


class CorpusError(TextmineError):
    """A Corpus whose parts disagree (an invariant is broken)."""


class ModelError(TextmineError):
    """An embedding or topic model cannot be loaded or verified."""


def describe_value(value: object, *, limit: int = 24) -> str:
    """A cell value fit for an error message: short values quoted, long ones only measured.

    A misconfigured column can put transcript text where a number or date was expected;
    the message must still not repeat it.
    """
    text = str(value)
    if len(text) <= limit and "\n" not in text:
        return repr(text)
    return f"a {len(text)}-character value"


class TextmineWarning(UserWarning):
    """Something the researcher should look at, which does not stop the run."""
