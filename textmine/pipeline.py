"""``run(config)``: the whole analysis, calling the same public functions a notebook calls."""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from textmine import io, pp, tl
from textmine.config import Config, load_config
from textmine.corpus import Corpus
from textmine.errors import TextmineWarning
from textmine.io.corpus_dir import write_tables
from textmine.io.transcripts import expand_paths
from textmine.models.sources import BUILTIN_MODELS, local_folder, verify_minilm
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
                      speakers=int(corpus.turns["speaker"].nunique()))
    if cfg.codes.path:
        with stages("codes") as record:
            options = cfg.codes.model_dump()
            path = options.pop("path")
            report = io.read_codes(corpus, path, encoding=cfg.input.encoding, **options)
            record.update(report.to_dict())
            reports["codes_unplaced"] = report.unplaced
    return corpus, reports


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
    """
    cfg = config if isinstance(config, Config) else load_config(config, overrides=overrides)
    cfg = cfg.resolved()
    stages = Stages()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", TextmineWarning)
        corpus, reports = read_inputs(cfg, stages)
        with stages("segment") as record:
            pp.segment(corpus, **cfg.segment.model_dump())
            record.update({k: v for k, v in corpus.uns["segment"].items() if k.startswith("n_")})
        with stages("embed") as record:
            record.update(tl.embed(corpus, **cfg.embed.model_dump()).to_dict())
    messages = list(dict.fromkeys(str(w.message) for w in caught
                                  if issubclass(w.category, TextmineWarning)))
    for message in messages:
        log.warning(message)
    manifest = {
        "textmine_version": package_versions()["textmine"],
        "run_name": cfg.run_name,
        "created_utc": now_utc(),
        "config_file": str(cfg.source) if cfg.source else None,
        "config": cfg.to_dict(),
        "inputs": input_hashes(cfg, corpus),
        "packages": package_versions(),
        "seeds": {"seed": cfg.seed},
        "models": {"embed": {"name": stages.stages["embed"]["model"],
                             "sha256": stages.stages["embed"]["model_sha256"],
                             "path": stages.stages["embed"]["model_path"]}},
        "stages": stages.stages,
        "warnings": messages,
        "corpus": {"documents": corpus.n_docs, "turns": len(corpus.turns),
                   "segments": len(corpus), "codes": len(corpus.codes)},
    }
    folder = None
    if write:
        folder = Path(out) if out else (Path(cfg.out) if cfg.out else
                                         Path.cwd() / "outputs" / cfg.run_name)
        folder = folder.resolve()
        with staging_folder(folder) as tmp:
            write_run_folder(tmp, cfg, corpus, manifest, reports)
        log.info("run folder: %s", folder)
    return RunResult(corpus=corpus, folder=folder, manifest=manifest)


def write_run_folder(folder: Path, cfg: Config, corpus: Corpus, manifest: dict,
                     reports: dict[str, Any]) -> None:
    """Everything a run writes, into ``folder``."""
    write_yaml(folder / "config.resolved.yaml", cfg.to_dict())
    write_tables(corpus, folder / "corpus")
    unplaced = reports.get("codes_unplaced")
    if unplaced is not None and len(unplaced):
        (folder / "reports").mkdir(exist_ok=True)
        unplaced.to_csv(folder / "reports" / "codes_unplaced.csv", index=False)
    write_json(folder / "manifest.json", manifest)


def validate(config: str | Path | dict | Config, *,
             overrides: list[str] | None = None) -> tuple[Config, Corpus, list[str]]:
    """Check a config and its inputs: read, place codes, verify the embedding model's files.

    Nothing heavy: no segmenting, no model loaded.
    """
    cfg = config if isinstance(config, Config) else load_config(config, overrides=overrides)
    cfg = cfg.resolved()
    expand_paths(cfg.input.transcripts, cfg.base_dir)
    # a missing model folder or damaged weights should stop here, not after reading everything
    if cfg.embed.model in BUILTIN_MODELS:
        verify_minilm()  # static is distilled from it
    else:
        local_folder(cfg.embed.model)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", TextmineWarning)
        corpus, _ = read_inputs(cfg, Stages())
    return cfg, corpus, [str(w.message) for w in caught
                         if issubclass(w.category, TextmineWarning)]
