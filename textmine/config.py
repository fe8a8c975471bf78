"""The YAML config, validated by pydantic.

Unknown or misspelt keys are errors that name the key, the file and the line (with a
suggestion); relative paths resolve against the config file's folder. The same models
validate keyword arguments given in a notebook, so both paths share one set of rules.
"""

from __future__ import annotations

import codecs
import difflib
import os
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from textmine.errors import ConfigError

Role = Literal["interviewer", "participant", "other", "unknown"]


def _not_blank(value: str | None) -> str | None:
    """A file path that is given must name something (``""`` would mean the config folder)."""
    if value is not None and not value.strip():
        raise ValueError("is empty: name a file, or leave the key out")
    return value


class Section(BaseModel):
    """A config section: unknown keys are errors, values are checked on assignment."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class TableColumns(Section):
    """Columns of a one-turn-per-row transcript table (CSV/XLSX)."""

    speaker: str = Field("speaker", description="column with the speaker's name")
    text: str = Field("text", description="column with what was said")
    doc_id: str | None = Field(
        None, description="a column naming the transcript, when one table holds several"
    )
    time: str | None = Field(None, description="start time of the turn (seconds or h:mm:ss)")


class InputConfig(Section):
    """Where the transcripts are and how to read them."""

    transcripts: str | list[str] = Field(
        ..., description="a glob or a list of files (relative to the config file)"
    )
    format: Literal["auto", "text", "docx", "odt", "vtt", "srt", "table"] = Field(
        "auto", description="reader; auto decides by file extension"
    )
    labels: Literal["auto", "colon", "export", "none"] = Field(
        "auto", description="speaker labels in plain text: Name: text | Name  00:00 | none"
    )
    encoding: str = Field("utf-8", description="text encoding of .txt/.csv files without BOM")
    max_line_chars: int = Field(
        100_000, ge=1_000,
        description="a longer line is not a transcript (binary data, or an export without "
        "line breaks)")
    metadata: str | None = Field(None, description="CSV/XLSX sheet, one row per transcript")
    doc_id_column: str = Field(
        "doc_id", description="metadata column matching the file name without extension"
    )
    dates: dict[str, str | list[str]] = Field(
        default_factory=dict,
        description="metadata column -> date format(s) (strftime, e.g. '%d/%m/%Y') or 'iso'",
    )
    interviewer: list[str] = Field(
        default_factory=lambda: ["Interviewer", "I"],
        description="speaker names or regular expressions with the interviewer role",
    )
    participants: list[str] | None = Field(
        None, description="if given, speakers matching neither list get the role 'unknown'"
    )
    other: list[str] = Field(
        default_factory=list, description="speakers that are neither (notes, annotations)"
    )
    speakers: list[str] | None = Field(
        None, description="accept only these names as speaker labels"
    )
    line_speakers: dict[str, str] = Field(
        default_factory=dict, description="speaker -> regex: lines matching it are theirs"
    )
    skip_lines: list[str] = Field(
        default_factory=lambda: [r"^\s*Transcribed by https?://otter\.ai\s*$"],
        description="regexes of lines that are not speech (export trailers, page numbers)",
    )
    unlabelled_speaker: str | None = Field(
        None, description="speaker of lines without a label (default: continue the turn)"
    )
    on_no_speakers: Literal["warn", "error"] = Field(
        "warn", description="a transcript without speaker labels: one speaker + warning, or error"
    )
    columns: TableColumns = Field(default_factory=TableColumns)
    sheet: str | int = Field(0, description="worksheet of .xlsx transcripts (name or index)")

    @field_validator("transcripts")
    @classmethod
    def _some_transcripts(cls, value: str | list[str]) -> str | list[str]:
        items = [value] if isinstance(value, str) else value
        if not items or any(not item.strip() for item in items):
            raise ValueError("is empty: name the transcript files with a glob such as "
                             "transcripts/*.docx or a list of files")
        return value

    @field_validator("metadata")
    @classmethod
    def _metadata_named(cls, value: str | None) -> str | None:
        return _not_blank(value)

    @field_validator("encoding")
    @classmethod
    def _known_codec(cls, value: str) -> str:
        try:
            codecs.lookup(value)
        except LookupError:
            raise ValueError(
                f"unknown text encoding {value!r}: use a Python codec name such as utf-8 "
                "or cp1252") from None
        return value

    @field_validator("line_speakers", "skip_lines")
    @classmethod
    def _regexes_compile(cls, value: dict[str, str] | list[str]):
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for name, pattern in items:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(
                    f"regular expression for {name!r} does not compile: {exc}") from None
        return value


PatternKind = Literal["email", "phone", "nhs_number", "postcode", "url"]
PATTERN_KINDS: tuple[str, ...] = ("email", "phone", "nhs_number", "postcode", "url")


class ProtectConfig(Section):
    """Pseudonymisation: roster names and identifier patterns, replaced before anything else."""

    roster: str | None = Field(
        None, description="CSV/XLSX/YAML: name, kind (person/organisation/place), "
        "optional pseudonym and aliases")
    patterns: list[PatternKind] = Field(
        default_factory=lambda: list(PATTERN_KINDS),
        description="identifier patterns to replace (all by default)")
    custom: dict[str, str] = Field(
        default_factory=dict,
        description="LABEL -> regular expression of further identifiers, replaced by [LABEL]")
    name_parts: bool = Field(
        True, description="also replace a roster person's first name or surname on its own")
    map_file: str | None = Field(
        None, description="write the pseudonym map here (outside the run folder); "
        "default: never written")
    verify: bool = Field(
        True, description="check every written file for identifiers before a run folder "
        "or corpus folder is put in place")

    @field_validator("roster", "map_file")
    @classmethod
    def _paths_named(cls, value: str | None) -> str | None:
        return _not_blank(value)

    @field_validator("custom")
    @classmethod
    def _custom_patterns(cls, value: dict[str, str]) -> dict[str, str]:
        for label, pattern in value.items():
            if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", label):
                raise ValueError(f"label {label!r} must be letters, digits and _")
            try:
                compiled = re.compile(pattern)
            except re.error as exc:
                raise ValueError(
                    f"regular expression for {label!r} does not compile: {exc}") from None
            if compiled.match(""):
                raise ValueError(f"regular expression for {label!r} matches empty text")
        return value


class CodeColumns(Section):
    """Columns of a generic codes CSV: spans (start/end) or quotes without offsets."""

    doc_id: str = Field("doc_id", description="transcript (file name, extension optional)")
    code: str = Field("code", description="the code applied")
    start_char: str = Field("start_char", description="span start (offsets mode)")
    end_char: str = Field("end_char", description="span end, exclusive (offsets mode)")
    quote: str = Field("quote", description="coded text (quotes mode, no offsets)")
    coder: str = Field("coder", description="who coded it (optional column)")


class CodesConfig(Section):
    """Human codes to set beside the machine's reading."""

    path: str | None = Field(None, description="codes file (CSV/XLSX); none: no codes")
    format: Literal["auto", "csv"] = Field("auto", description="codes file format")
    columns: CodeColumns = Field(default_factory=CodeColumns)
    codebook: str | None = Field(None, description="CSV/XLSX: one row per code")
    codebook_columns: list[str] = Field(
        default_factory=lambda: ["code"],
        description="hierarchy columns, top level first; the last one holds the code",
    )
    codebook_description: str | None = Field(
        "description", description="codebook column with each code's definition"
    )
    path_separator: str | None = Field(
        None, description="codes that carry their own path, e.g. 'Barriers/Time' with '/'"
    )
    split_codes: str | None = Field(
        None, description="a cell holding several codes, e.g. 'B-OA, B-M' with ','"
    )
    min_match: float = Field(90.0, ge=50, le=100, description="fuzzy score to place a quote")

    @field_validator("path", "codebook")
    @classmethod
    def _paths_named(cls, value: str | None) -> str | None:
        return _not_blank(value)


class SegmentConfig(Section):
    """How turns become analysis segments."""

    unit: Literal["turn", "sentence", "window"] = Field(
        "turn", description="a segment is a speaker turn, a sentence, or a window of sentences"
    )
    max_tokens: int = Field(128, ge=8, description="token budget of a window")
    overlap: int = Field(0, ge=0, description="sentences shared by consecutive windows")
    min_words: int = Field(3, ge=0, description="shorter segments are dropped")
    exclude_roles: list[Role] = Field(
        default_factory=lambda: ["interviewer"],
        description="roles kept as context but left out of the analysis",
    )
    tokenizer: Literal["minilm", "words"] = Field(
        "minilm", description="what max_tokens counts: MiniLM word pieces or words"
    )


class EmbedConfig(Section):
    """Sentence embeddings: a verified local model, through an on-disk cache."""

    enabled: bool = Field(True, description="run the embedding step (and all that needs it)")
    model: str = Field(
        "minilm", min_length=1,
        description="minilm (bundled all-MiniLM-L6-v2) | static (distilled from it, ~100x "
                    "faster) | a local model folder; never downloaded")
    key_added: str | None = Field(
        None, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$",
        description="key in corpus.embeddings and file name in corpus/embeddings/ "
                    "(default: the model's name)")
    batch_size: int = Field(64, ge=1, le=4096, description="texts per forward pass")
    cache: bool = Field(True, description="read and write the on-disk embedding cache")
    cache_dir: str | None = Field(
        None, description="cache folder (default: env TEXTMINE_CACHE_DIR, else the user's "
                          "cache folder)")
    progress: Literal["auto"] | bool = Field(
        "auto", description="progress bar on stderr: auto (on a terminal, long runs), true, "
                            "false")
    static_dims: int = Field(256, ge=8, le=384,
                             description="PCA dimensions of the distilled static model")
    context: Literal["prompt", "none"] = Field(
        "prompt", description="prompt: embed each segment followed by the end of the question "
        "it answers (the interviewer's last turn); none: the segment alone")
    context_words: int = Field(40, ge=1, le=200,
                               description="words of the question kept as context")


class TopicsConfig(Section):
    """Topic discovery: BERTopic (UMAP, HDBSCAN, c-TF-IDF) with outliers reassigned."""

    enabled: bool = Field(True, description="run the topics step")
    embedding: str | None = Field(
        None, description="embeddings key to cluster (default: the only one there is)"
    )
    n_neighbors: int = Field(15, ge=2, description="UMAP neighbours (local vs global structure)")
    n_components: int = Field(5, ge=2, description="UMAP output dimensions")
    min_dist: float = Field(0.0, ge=0, description="UMAP min_dist")
    min_topic_size: int | Literal["auto"] = Field(
        "auto",
        description="HDBSCAN min_cluster_size; auto: 1% of the segments, between 10 and 40",
    )
    min_samples: int | Literal["auto"] | None = Field(
        "auto",
        description="HDBSCAN min_samples; auto: 3 when min_topic_size > 10 (else as HDBSCAN); "
        "none: equal to min_topic_size",
    )
    cluster_selection_method: Literal["eom", "leaf"] = Field(
        "eom", description="HDBSCAN: eom gives fewer, larger topics; leaf more, finer ones"
    )
    nr_topics: int | Literal["auto"] | None = Field(
        None, description="reduce to this many topics (or 'auto'); none: as found"
    )
    outlier_threshold: float | None = Field(
        0.3, ge=-1, le=1,
        description="reassign an outlier to the nearest topic at this cosine similarity; none: off",
    )
    representation: Literal["ctfidf", "keybert", "mmr"] = Field(
        "ctfidf", description="topic terms by c-TF-IDF, KeyBERT-inspired, or MMR (diverse)"
    )
    top_n_words: int = Field(10, ge=3, description="terms per topic")
    ngram_range: tuple[int, int] = Field((1, 2), description="term lengths in words")
    stop_words: list[str] = Field(
        default_factory=list, description="more words or phrases never used as terms"
    )
    fillers: bool = Field(True, description="exclude textmine's transcript fillers and hedges")
    seed_topics: Literal["none", "codebook"] = Field(
        "none", description="zero-shot topics from the codebook's codes and definitions"
    )
    seed_min_similarity: float = Field(
        0.5, ge=0, le=1, description="cosine similarity for a segment to join a seed topic"
    )
    n_quotes: int = Field(5, ge=1, description="representative quotes per topic")
    stability_seeds: int = Field(
        3, ge=0, description="refits with other seeds for the stability report (0: none)"
    )


class TrackConfig(Section):
    """Topic prevalence over time and groups (filled by the tracking step)."""


class AlignConfig(Section):
    """Topics against human codes (filled by the alignment step)."""


class ReportConfig(Section):
    """Figures, tables and the HTML report (filled by the report step)."""


class Config(Section):
    """A whole run."""

    run_name: str = Field("textmine", pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$",
                          description="names the run folder: outputs/<run_name>")
    seed: int = Field(0, description="seed of every random step")
    out: str | None = Field(None, description="run folder (default: outputs/<run_name>)")
    input: InputConfig
    protect: ProtectConfig = Field(default_factory=ProtectConfig)
    codes: CodesConfig = Field(default_factory=CodesConfig)
    segment: SegmentConfig = Field(default_factory=SegmentConfig)
    embed: EmbedConfig = Field(default_factory=EmbedConfig)
    topics: TopicsConfig = Field(default_factory=TopicsConfig)
    track: TrackConfig = Field(default_factory=TrackConfig)
    align: AlignConfig = Field(default_factory=AlignConfig)
    report: ReportConfig = Field(default_factory=ReportConfig)

    @field_validator("out")
    @classmethod
    def _out_named(cls, value: str | None) -> str | None:
        return _not_blank(value)

    # set by load_config: the file and folder it came from (not part of the YAML)
    _source: Path | None = None

    @property
    def base_dir(self) -> Path:
        """Folder relative paths resolve against (the config file's, else the cwd)."""
        return self._source.parent if self._source is not None else Path.cwd()

    @property
    def source(self) -> Path | None:
        """The YAML file this config was read from."""
        return self._source

    def resolve(self, value: str | Path | None) -> Path | None:
        """A config path as an absolute path."""
        if value is None:
            return None
        path = Path(value).expanduser()
        return Path(os.path.normpath(path if path.is_absolute() else self.base_dir / path))

    def to_dict(self) -> dict[str, Any]:
        """Plain data, as written to ``config.resolved.yaml``."""
        return self.model_dump(mode="json")

    def resolved(self) -> Config:
        """A copy whose file paths are absolute (what a run records and uses)."""
        data = self.to_dict()
        for section, key in PATH_FIELDS:
            value = data[section].get(key) if section else data.get(key)
            if value is None or value in PATH_KEYWORDS.get((section, key), ()):
                continue
            if isinstance(value, list):
                value = [str(self.resolve(v)) for v in value]
            else:
                value = str(self.resolve(value))
            if section:
                data[section][key] = value
            else:
                data[key] = value
        new = Config.model_validate(data)
        new._source = self._source
        return new


#: (section, key) of every config value that is a file path, resolved against the config file
PATH_FIELDS: list[tuple[str | None, str]] = [
    ("input", "transcripts"), ("input", "metadata"), ("protect", "roster"),
    ("protect", "map_file"), ("codes", "path"), ("codes", "codebook"), (None, "out"),
    ("embed", "cache_dir"), ("embed", "model"),
]
#: values of path keys that are names, not paths
PATH_KEYWORDS: dict[tuple[str | None, str], tuple[str, ...]] = {
    ("embed", "model"): ("minilm", "static"),
}

# ---------------------------------------------------------------------------- loading


MAX_CONFIG_NODES = 100_000


def _key_lines(node: yaml.Node, path: tuple = (), out: dict | None = None, *, source=None):
    """Map every key path in a YAML document to its line; duplicate keys are errors."""
    out = {} if out is None else out
    if len(out) > MAX_CONFIG_NODES:
        # aliases that multiply (&a [*b, *b, ...]) would take hours and all memory to expand
        raise ConfigError(
            f"config expands to more than {MAX_CONFIG_NODES:,} values", path=source,
            hint="a config is a few dozen keys: remove the YAML anchors and aliases (&, *)")
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value
            line = key_node.start_mark.line + 1
            if key in seen:
                raise ConfigError(
                    f"key {'.'.join(map(str, path + (key,)))!r} appears twice "
                    f"(first on line {seen[key]})",
                    path=source,
                    line=line,
                    key=".".join(map(str, path + (key,))),
                    hint="keep one of them",
                )
            seen[key] = line
            out[path + (key,)] = line
            _key_lines(value_node, path + (key,), out, source=source)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            out[path + (i,)] = item.start_mark.line + 1
            _key_lines(item, path + (i,), out, source=source)
    return out


def _model_fields_at(loc: tuple) -> list[str]:
    """Field names of the model a location points into (for 'did you mean')."""
    model: type[BaseModel] = Config
    for part in loc[:-1]:
        field = model.model_fields.get(str(part))
        if field is None:
            return []
        annotation = field.annotation
        candidates = getattr(annotation, "__args__", None) or (annotation,)
        nxt = next(
            (c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None
        )
        if nxt is None:
            return []
        model = nxt
    return list(model.model_fields)


def config_error(exc: ValidationError, *, source: Path | None, lines: dict,
                 prefix: tuple[str, ...] = ()) -> ConfigError:
    """The first pydantic error as one clear line (``prefix``: the section validated).

    A misspelt key is reported before the "missing" error it causes.
    """
    errors = exc.errors()
    err = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    # a union reports which member failed ("transcripts.str"): not a key the user wrote
    loc = prefix + tuple(p for p in err["loc"] if not (isinstance(p, str) and (
        p in ("str", "int", "float", "bool") or "[" in p or p.endswith("Config")
        or p == "TableColumns" or p == "CodeColumns")))
    key = ".".join(str(p) for p in loc)
    line = None
    for n in range(len(loc), 0, -1):
        if loc[:n] in lines:
            line = lines[loc[:n]]
            break
    if err["type"] == "extra_forbidden":
        fields = _model_fields_at(loc)
        close = difflib.get_close_matches(str(loc[-1]), fields, n=1)
        hint = (f"did you mean {close[0]!r}?" if close else
                f"this section's keys are {', '.join(fields)}" if fields else
                "remove it (docs/config.md lists every key)")
        return ConfigError(f"unknown key {key!r}", path=source, line=line, key=key, hint=hint)
    if err["type"] == "missing":
        return ConfigError(f"required key {key!r} is missing", path=source, key=key,
                           hint="add it (configs/example.yaml shows a complete config)")
    given = err.get("input")
    shown = f" (got {given!r})" if isinstance(given, str | int | float | bool) else ""
    message = err["msg"].removeprefix("Value error, ")
    return ConfigError(f"{key}: {message}{shown}", path=source, line=line, key=key,
                       hint=f"fix the value of {key} (docs/config.md says what it accepts)")


def _apply_set(data: dict, assignment: str) -> None:
    if "=" not in assignment or not assignment.split("=", 1)[0].strip():
        raise ConfigError(
            f"--set {assignment!r}: expected section.key=value", key=assignment,
            hint="for example --set segment.unit=sentence",
        )
    dotted, raw = assignment.split("=", 1)
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError:
        value = raw
    parts = dotted.strip().split(".")
    target = data
    for part in parts[:-1]:
        nxt = target.setdefault(part, {})
        if not isinstance(nxt, dict):
            raise ConfigError(f"--set {dotted}: {part!r} is not a section", key=dotted)
        target = nxt
    target[parts[-1]] = value


def load_config(
    source: str | Path | dict, *, overrides: list[str] | None = None
) -> Config:
    """Read and validate a config.

    Parameters
    ----------
    source
        A YAML file, or a dict (paths then resolve against the current folder).
    overrides
        ``section.key=value`` assignments applied before validation (values are YAML).

    Returns
    -------
    Config
        The validated config; ``config.resolve(path)`` gives absolute paths.

    Raises
    ------
    ConfigError
        Naming the file, line and key of the first problem.
    """
    lines: dict = {}
    path: Path | None = None
    if isinstance(source, dict):
        data = source
    else:
        path = Path(source).expanduser().resolve()
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError("config file not found", path=path,
                              hint="check the path; configs/example.yaml is a template") from None
        except IsADirectoryError:
            raise ConfigError("config path is a folder", path=path,
                              hint="name the YAML file itself") from None
        except UnicodeDecodeError as exc:
            raise ConfigError(f"config file is not UTF-8 text (byte {exc.start})", path=path,
                              hint="save the config as UTF-8 text") from None
        except OSError as exc:
            raise ConfigError(f"config file cannot be read ({exc.strerror})", path=path,
                              hint="check the file's permissions") from None
        try:
            node = yaml.compose(text)
            data = yaml.safe_load(text)
        except RecursionError:
            raise ConfigError("config is nested too deeply", path=path,
                              hint="a config is a few sections of keys and lists") from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise ConfigError(
                f"not valid YAML: {problem}", path=path,
                line=mark.line + 1 if mark else None,
                hint="indent with spaces, close every bracket and quote",
            ) from None
        if data is None:
            raise ConfigError("config file is empty", path=path,
                              hint="see configs/example.yaml for a template")
        if not isinstance(data, dict):
            raise ConfigError("config must be a mapping of sections", path=path, line=1,
                              hint="start from configs/example.yaml")
        lines = _key_lines(node, source=path)
    data = _deep_copy(data)
    for assignment in overrides or []:
        _apply_set(data, assignment)
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        raise config_error(exc, source=path, lines=lines) from None
    config._source = path
    return config


def _deep_copy(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _deep_copy(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_deep_copy(v) for v in data]
    return data


def validate_section(model: type[Section], values: dict[str, Any], *, section: str) -> Section:
    """Validate keyword arguments given in a notebook against a config section."""
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise config_error(exc, source=None, lines={}, prefix=(section,)) from None


def reference_markdown() -> str:
    """Every config key with its type, default and description, as Markdown.

    ``docs/config.md`` is generated from this, and a test checks it is up to date.
    """
    lines = ["# Config reference", "",
             "Generated from `textmine/config.py`: `python -c 'import textmine.config as c; "
             "print(c.reference_markdown())' > docs/config.md`.",
             "Unknown keys are errors; relative paths resolve against the config file's folder.",
             ""]

    def walk(model: type[BaseModel], prefix: str) -> None:
        rows, subs = [], []
        for name, field in model.model_fields.items():
            annotation = field.annotation
            candidates = getattr(annotation, "__args__", None) or (annotation,)
            sub = next((c for c in candidates
                        if isinstance(c, type) and issubclass(c, BaseModel)), None)
            if sub is not None:
                subs.append((f"{prefix}{name}", sub))
                continue
            if field.default_factory is not None:
                default = field.default_factory()
            else:
                default = "(required)" if field.is_required() else field.default
            kind = (str(annotation).replace("typing.", "").replace("<class '", "")
                    .replace("'>", "").replace(" | ", " or "))
            if not field.description:
                raise AssertionError(f"config key {prefix}{name} has no description")
            shown = repr(default).replace("|", "\\|")
            rows.append(f"| `{prefix}{name}` | `{kind}` | `{shown}` | "
                        f"{field.description.replace('|', '/')} |")
        if rows:
            lines.extend([f"## `{prefix.rstrip('.') or 'top level'}`", "",
                          (model.__doc__ or "").strip().splitlines()[0], "",
                          "| key | type | default | meaning |", "|---|---|---|---|", *rows, ""])
        for name, sub in subs:
            walk(sub, f"{name}.")

    walk(Config, "")
    return "\n".join(lines)

