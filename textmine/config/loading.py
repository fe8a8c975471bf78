"""Reading a YAML config: errors that name the file, the line and the key.

Unknown or misspelt keys are errors that name the key, the file and the line (with a
suggestion). The same models validate keyword arguments given in a notebook
(:func:`validate_section`), so both paths share one set of rules.
"""

from __future__ import annotations

import difflib
import os
import re
import sys
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from textmine.config.base import Section
from textmine.config.run import PATH_FIELDS, Config
from textmine.errors import ConfigError

MAX_CONFIG_NODES = 100_000

#: ``${NAME}`` or ``${NAME:-default}`` in a path value; ``$${`` is a literal ``${``
_ENV_REFERENCE = re.compile(r"\$(\$?)\{([^}]*)\}")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


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
                 prefix: tuple[str, ...] = (),
                 overridden: frozenset[tuple[str, ...]] = frozenset()) -> ConfigError:
    """The first pydantic error as one clear line (``prefix``: the section validated).

    A misspelt key is reported before the "missing" error it causes. A key given by
    ``--set`` (``overridden``) is reported as such, never against a line of the file.
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
    given_by = next((".".join(o) for o in overridden if tuple(map(str, loc[:len(o)])) == o),
                    None)
    if given_by is not None:
        source, line = None, None
    if not loc:  # a rule across keys (model validator): its message names them
        message = err["msg"].removeprefix("Value error, ")
        return ConfigError(message, path=source, line=line,
                           hint="fix one of the keys it names (docs/config.md)")
    if err["type"] == "extra_forbidden":
        fields = _model_fields_at(loc)
        close = difflib.get_close_matches(str(loc[-1]), fields, n=1)
        hint = (f"did you mean {close[0]!r}?" if close else
                f"this section's keys are {', '.join(fields)}" if fields else
                "remove it (docs/config.md lists every key)")
        what = f"--set {given_by}: " if given_by is not None else ""
        return ConfigError(f"{what}unknown key {key!r}", path=source, line=line, key=key,
                           hint=hint)
    if err["type"] == "missing":
        return ConfigError(f"required key {key!r} is missing", path=source, key=key,
                           hint="add it (configs/example.yaml shows a complete config)")
    given = err.get("input")
    shown = f" (got {given!r})" if isinstance(given, str | int | float | bool) else ""
    message = err["msg"].removeprefix("Value error, ")
    where = f"--set {key}" if given_by is not None else key
    return ConfigError(f"{where}: {message}{shown}", path=source, line=line, key=key,
                       hint=f"fix the value of {key} (docs/config.md says what it accepts)")


def _apply_set(data: dict, assignment: str) -> tuple[str, ...]:
    """Apply one ``section.key=value``; return the key path it set."""
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
    except ValueError:  # an integer over Python's 4,300-digit limit
        raise ConfigError(f"--set {dotted.strip()}: the number has more than "
                          f"{sys.get_int_max_str_digits():,} digits", key=dotted.strip(),
                          hint="give a number of a sensible size") from None
    parts = dotted.strip().split(".")
    target = data
    for part in parts[:-1]:
        nxt = target.setdefault(part, {})
        if not isinstance(nxt, dict):
            raise ConfigError(f"--set {dotted}: {part!r} is not a section", key=dotted)
        target = nxt
    target[parts[-1]] = value
    return tuple(parts)


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
        except ValueError as exc:  # PyYAML's int() of a number over 4,300 digits
            if isinstance(exc, yaml.YAMLError):
                raise
            raise ConfigError(
                f"a number has more than {sys.get_int_max_str_digits():,} digits", path=path,
                line=_long_number_line(node), hint="give a number of a sensible size") from None
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
    overridden = frozenset(_apply_set(data, assignment) for assignment in overrides or [])
    _expand_path_variables(data, source=path, lines=lines)
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        raise config_error(exc, source=path, lines=lines, overridden=overridden) from None
    config._source = path
    return config


def _expand_path_variables(data: dict, *, source: Path | None, lines: dict) -> None:
    """Replace ``${NAME}`` and ``${NAME:-default}`` in the path keys, in place.

    Only the keys of :data:`~textmine.config.run.PATH_FIELDS` are expanded, so that a
    shared config can name its data as ``${STUDY_DATA:-../data}/interviews/*.docx`` and run on
    every machine; a value taken from the environment that is a relative path resolves against
    the current folder (as it would in the shell), a default against the config file's folder.
    A variable that is unset and has no default is an error naming the key.
    """
    for section, key in PATH_FIELDS:
        holder = data.get(section) if section else data
        if not isinstance(holder, dict) or key not in holder:
            continue
        loc = (section, key) if section else (key,)
        value = holder[key]
        if isinstance(value, str):
            holder[key] = _expand(value, loc=loc, source=source, lines=lines)
        elif isinstance(value, list):
            holder[key] = [_expand(v, loc=(*loc, i), source=source, lines=lines)
                           if isinstance(v, str) else v for i, v in enumerate(value)]


def _expand(value: str, *, loc: tuple, source: Path | None, lines: dict) -> str:
    """One path value with its environment references replaced."""
    dotted = ".".join(str(part) for part in loc if not isinstance(part, int))

    def substitute(match: re.Match) -> str:
        if match.group(1):  # $${...}: the characters themselves
            return "${" + match.group(2) + "}"
        name, has_default, default = match.group(2).partition(":-")
        if not _ENV_NAME.fullmatch(name):
            raise ConfigError(
                f"{match.group(0)!r} is not a variable reference", path=source,
                line=lines.get(loc), key=dotted,
                hint="write ${NAME} or ${NAME:-default} (letters, digits, _), or $${ for a "
                     "literal ${")
        found = os.environ.get(name)
        if found:
            # the shell's meaning: a relative value is relative to where the user is
            return os.path.abspath(os.path.expanduser(found)) if match.start() == 0 else found
        if has_default:
            return default
        raise ConfigError(
            f"environment variable {name} is not set (or is empty)", path=source,
            line=lines.get(loc), key=dotted,
            hint=f"set {name} (export {name}=/path/to/folder) or give a default: "
                 f"${{{name}:-path}}")

    return _ENV_REFERENCE.sub(substitute, value)


def _long_number_line(node: yaml.Node | None) -> int | None:
    """Line of the first integer scalar too long for Python to convert."""
    if node is None:
        return None
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, yaml.ScalarNode):
            if (item.tag.endswith(":int")
                    and len(item.value) > sys.get_int_max_str_digits()):
                return item.start_mark.line + 1
        elif isinstance(item, yaml.MappingNode):
            stack.extend(v for pair in reversed(item.value) for v in reversed(pair))
        elif isinstance(item, yaml.SequenceNode):
            stack.extend(reversed(item.value))
    return None


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
             "Generated from `textmine/config/`: `python -c 'import textmine.config as c; "
             "print(c.reference_markdown())' > docs/config.md`.",
             "Unknown keys are errors; relative paths resolve against the config file's folder.",
             "",
             "A path value may name environment variables as `${NAME}` or `${NAME:-default}`, so "
             "that one config runs on every machine (`${STUDY_DATA:-../data}/*.docx`): a value "
             "from the environment that is relative resolves against the current folder, a "
             "default against the config file's; an unset variable without a default is an error "
             "naming the key. `$${` is a literal `${`. Only path keys are expanded.",
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
