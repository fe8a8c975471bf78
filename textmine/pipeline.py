"""``run(config)``: the whole analysis, calling the same public functions a notebook calls."""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from textmine import get, io, pp, tl
from textmine.config import Config, load_config
from textmine.corpus import Corpus
from textmine.errors import ConfigError, TextmineWarning
from textmine.io.corpus_dir import write_tables
from textmine.io.transcripts import expand_paths
from textmine.models.sources import BUILTIN_MODELS, local_folder, verify_minilm
from textmine.pp.verify import check_folder
from textmine.runfolder import (
    Stages,
    now_utc,
    package_versions,
    sha256_file,
    staging_folder,
    write_json,
    write_yaml,
)

log = logging.getLogger("textmine")


@dataclass
class RunResult:
    """What a run produced: the corpus in memory, the run folder and its manifest."""

    corpus: Corpus
    folder: Path | None
    manifest: dict[str, Any] = field(default_factory=dict)


def _input_options(cfg: Config) -> dict[str, Any]:
    options = cfg.input.model_dump()
    options.pop("transcripts")
    return options


def read_inputs(cfg: Config, stages: Stages) -> tuple[Corpus, dict[str, Any]]:
    """The read and codes stages: transcripts, metadata and human codes into a Corpus.

    Returns the corpus and the reports that go into the run folder (unplaced quotes).
    """
    reports: dict[str, Any] = {}
    with stages("read") as record:
        corpus = io.read_transcripts(cfg.input.transcripts, **_input_options(cfg))
        record.update(documents=corpus.n_docs, turns=len(corpus.turns),
                      speakers=int(corpus.turns["speaker"].nunique()),
                      **{k: v for k, v in corpus.uns.get("read", {}).items()
                         if k.startswith("n_") or k == "renamed_columns"})
    if cfg.codes.path:
        with stages("codes") as record:
            options = cfg.codes.model_dump()
            path = options.pop("path")
            report = io.read_codes(corpus, path, encoding=cfg.input.encoding, **options)
            record.update(report.to_dict())
            reports["codes_unplaced"] = report.unplaced
    return corpus, reports


def protect_inputs(cfg: Config, corpus: Corpus, reports: dict[str, Any],
                   stages: Stages) -> dict[str, Any]:
    """The protect stage: pseudonymise the corpus and the reports before anything else.

    The pseudonym map is not written here (``protect.map_file`` is written by :func:`run`
    once the run folder is complete).
    """
    with stages("protect") as record:
        options = cfg.protect.model_dump()
        options["map_file"] = None
        record.update(pp.protect(corpus, **options))
    protection = corpus.protection
    return {name: protection.scrub_frame(frame, field="reports")
            if isinstance(frame, pd.DataFrame) else protection.scrub(frame, field="reports")
            for name, frame in reports.items()}


def input_hashes(cfg: Config, corpus: Corpus) -> dict[str, dict[str, str]]:
    """sha256 of every input file, by kind."""
    hashes: dict[str, dict[str, str]] = {
        "transcripts": dict(zip(corpus.documents["source"], corpus.documents["sha256"],
                                strict=True))}
    for kind, value in (("metadata", cfg.input.metadata), ("codes", cfg.codes.path),
                        ("codebook", cfg.codes.codebook), ("roster", cfg.protect.roster)):
        if value:
            hashes[kind] = {value: sha256_file(Path(value))}
    return hashes


def _run_folder(cfg: Config, out: str | Path | None) -> Path:
    folder = Path(out) if out else (Path(cfg.out) if cfg.out else
                                    Path.cwd() / "outputs" / cfg.run_name)
    folder = folder.expanduser().resolve()
    if folder.exists() and not folder.is_dir():
        raise ConfigError("the run folder is a file", path=folder, key="out",
                          hint="choose another folder with --out or remove the file")
    if cfg.protect.map_file:
        map_file = Path(cfg.protect.map_file).resolve()
        if map_file.is_dir():
            raise ConfigError("protect.map_file is a folder", path=cfg.source,
                              key="protect.map_file", hint="name a .csv file in it")
        if map_file == folder or folder in map_file.parents:
            raise ConfigError(
                "protect.map_file is inside the run folder, which is meant to be shared",
                path=cfg.source, key="protect.map_file",
                hint="write the pseudonym map beside the raw transcripts instead")
    return folder


def run(
    config: str | Path | dict | Config,
    *,
    out: str | Path | None = None,
    overrides: list[str] | None = None,
    write: bool = True,
) -> RunResult:
    """Run the pipeline a config describes and write its run folder.

    Parameters
    ----------
    config
        A YAML file, a dict or a :class:`~textmine.Config`.
    out
        Run folder (default: ``config.out``, else ``outputs/<run_name>`` in the current folder).
    overrides
        ``section.key=value`` assignments, as ``--set`` on the command line.
    write
        Write the run folder (``False``: compute in memory only).

    Returns
    -------
    RunResult
        The corpus, the run folder and the manifest.

    Notes
    -----
    The run folder is built in a temporary sibling and swapped into place only when every
    file is written and checked for identifiers: a failed or killed run leaves the previous
    run folder as it was.
    """
    cfg = config if isinstance(config, Config) else load_config(config, overrides=overrides)
    cfg = cfg.resolved()
    folder = _run_folder(cfg, out) if write else None
    stages = Stages()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", TextmineWarning)
        corpus, reports = read_inputs(cfg, stages)
        reports = protect_inputs(cfg, corpus, reports, stages)
        with stages("segment") as record:
            pp.segment(corpus, **cfg.segment.model_dump())
            record.update({k: v for k, v in corpus.uns["segment"].items() if k.startswith("n_")})
        analyse(cfg, corpus, stages)
    protection = corpus.protection
    # read warnings can name speakers: they are logged only once pseudonymised
    messages = list(dict.fromkeys(protection.protect_text(str(w.message)) for w in caught
                                  if issubclass(w.category, TextmineWarning)))
    for message in messages:
        log.warning(message)
    manifest = {
        "textmine_version": package_versions()["textmine"],
        "run_name": cfg.run_name,
        "created_utc": now_utc(),
        "config_file": protection.protect_text(str(cfg.source)) if cfg.source else None,
        "config": protection.scrub(cfg.to_dict()),
        "inputs": protection.scrub(input_hashes(cfg, corpus)),
        "packages": package_versions(),
        "seeds": {"seed": cfg.seed},
        "models": _models(stages.stages),
        "stages": protection.scrub(stages.stages),  # e.g. codes' unknown document ids
        "warnings": messages,
        "corpus": {"documents": corpus.n_docs, "turns": len(corpus.turns),
                   "segments": len(corpus), "codes": len(corpus.codes)},
    }
    if write:
        with staging_folder(folder) as tmp:
            write_run_folder(tmp, cfg, corpus, manifest, reports)
            check_folder(tmp, protection)
        log.info("run folder: %s", folder)
        if cfg.protect.map_file:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", TextmineWarning)
                pp.write_pseudonym_map(corpus, cfg.protect.map_file)
            for w in caught:
                log.warning(str(w.message))
    return RunResult(corpus=corpus, folder=folder, manifest=manifest)


def _models(stages: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The models a run used, for the manifest (the embedding model's name, hash, folder)."""
    embed = stages.get("embed")
    if not embed:
        return {}
    return {"embed": {"name": embed["model"], "sha256": embed["model_sha256"],
                      "path": embed["model_path"]}}


def analyse(cfg: Config, corpus: Corpus, stages: Stages) -> None:
    """The model stages: embed, then topics (each skipped when its section says so)."""
    if not cfg.embed.enabled:
        return
    with stages("embed") as record:
        tl.embed(corpus, **cfg.embed.model_dump(exclude={"enabled"}), stats=record)
    if cfg.topics.enabled:
        with stages("topics") as record:
            tl.topics(corpus, seed=cfg.seed, stats=record,
                      **cfg.topics.model_dump(exclude={"enabled"}))


def write_topics(folder: Path, corpus: Corpus, key: str = "topics") -> None:
    """Write ``topics/``, the run-folder contract other tools read.

    Files: topic_info.csv, assignments.parquet, quotes.csv, quality.json, stability.json.
    """
    folder.mkdir(parents=True, exist_ok=True)
    get.topic_info(corpus, key).to_csv(folder / "topic_info.csv", index=False)
    get.assignments(corpus, key).to_parquet(folder / "assignments.parquet", index=False)
    get.quotes(corpus, key).to_csv(folder / "quotes.csv", index=False)
    write_json(folder / "quality.json", get.quality(corpus, key))
    stability = get.stability(corpus, key)
    if stability is not None:
        write_json(folder / "stability.json", stability)


def write_run_folder(folder: Path, cfg: Config, corpus: Corpus, manifest: dict,
                     reports: dict[str, Any]) -> None:
    """Everything a run writes, into ``folder``."""
    config = corpus.protection.scrub(cfg.to_dict()) if corpus.protection else cfg.to_dict()
    write_yaml(folder / "config.resolved.yaml", config)
    write_tables(corpus, folder / "corpus")
    if "topics" in corpus.results:
        write_topics(folder / "topics", corpus)
    unplaced = reports.get("codes_unplaced")
    if unplaced is not None and len(unplaced):
        (folder / "reports").mkdir(exist_ok=True)
        unplaced.to_csv(folder / "reports" / "codes_unplaced.csv", index=False)
    write_json(folder / "manifest.json", manifest)


def validate(config: str | Path | dict | Config, *,
             overrides: list[str] | None = None) -> tuple[Config, Corpus, list[str]]:
    """Check a config and its inputs: read, place codes, protect, verify the model's files.

    Nothing heavy: no segmenting, no model loaded.
    """
    cfg = config if isinstance(config, Config) else load_config(config, overrides=overrides)
    cfg = cfg.resolved()
    expand_paths(cfg.input.transcripts, cfg.base_dir)
    _run_folder(cfg, None)
    # a missing model folder or damaged weights should stop here, not after reading everything
    if cfg.embed.enabled:
        if cfg.embed.model in BUILTIN_MODELS:
            verify_minilm()  # static is distilled from it
        else:
            local_folder(cfg.embed.model)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", TextmineWarning)
        stages = Stages()
        corpus, reports = read_inputs(cfg, stages)
        protect_inputs(cfg, corpus, reports, stages)
    return cfg, corpus, list(dict.fromkeys(
        corpus.protection.protect_text(str(w.message)) for w in caught
        if issubclass(w.category, TextmineWarning)))
