"""``run(config)``: the whole analysis, calling the same public functions a notebook calls."""

from __future__ import annotations

import glob
import logging
import os
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from textmine import io, pp, tl
from textmine.config import Config, load_config
from textmine.corpus import Corpus
from textmine.errors import ConfigError, TextmineWarning
from textmine.io.corpus_dir import write_tables
from textmine.io.decode import recording_reads
from textmine.io.guard import (
    RUN_MARKER,
    Inputs,
    check_map_file,
    check_output_folder,
    write_marker,
)
from textmine.io.transcripts import expand_paths, glob_root
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

#: result keys a run writes into a folder of their own (the run-folder contract)
STAGE_FOLDERS = ("topics", "track", "align")


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
    projects = _input_projects(corpus)
    if cfg.codes.path or projects:
        with stages("codes") as record:
            options = cfg.codes.model_dump()
            path = options.pop("path")
            if path:
                report = io.read_codes(corpus, path, encoding=cfg.input.encoding, **options)
            else:  # a QDA project as the input: its codings are the human codes
                options.pop("format")
                report = io.qda.read_project_codes(corpus, projects, **options)
            record.update(report.to_dict())
            reports["codes_unplaced"] = report.unplaced
    return corpus, reports


def _input_projects(corpus: Corpus) -> list[str]:
    """The QDA projects the transcripts were read from, if any."""
    from textmine.io.qda import PROJECT_FORMATS

    docs = corpus.documents
    return list(dict.fromkeys(docs.loc[docs["format"].isin(PROJECT_FORMATS), "source"]))


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


def input_hashes(cfg: Config, reads: list[tuple[Path, str]]) -> dict[str, dict[str, str]]:
    """sha256 of every file the run read, by kind, hashed from the bytes that were read.

    ``reads`` is what :func:`textmine.io.decode.recording_reads` recorded: every transcript,
    metadata, codes, codebook and roster file that was opened. The config file is added, and
    under ``links`` every input that is a symbolic link, with what it points to.
    """
    kinds = {}
    for kind, value in (("metadata", cfg.input.metadata), ("codes", cfg.codes.path),
                        ("codebook", cfg.codes.codebook), ("roster", cfg.protect.roster)):
        if value:
            kinds[io.qda.project_file(value)] = kind
    hashes: dict[str, dict[str, str]] = {}
    if cfg.source is not None:
        hashes["config"] = {str(cfg.source): sha256_file(cfg.source)}
    links: dict[str, str] = {}
    for path, digest in reads:
        hashes.setdefault(kinds.get(path, "transcripts"), {})[str(path)] = digest
        if path.is_symlink():
            links[str(path)] = str(path.resolve())
    if links:
        hashes["links"] = links
    return hashes


def run_inputs(cfg: Config) -> Inputs:
    """Everything a run reads, for the output guards (:mod:`textmine.io.guard`)."""
    specs = [cfg.input.transcripts] if isinstance(cfg.input.transcripts, str) else list(
        cfg.input.transcripts)
    files = expand_paths(specs, cfg.base_dir, follow_symlinks=cfg.input.follow_symlinks)
    patterns = [str(cfg.resolve(spec)) for spec in specs if glob.has_magic(spec)]
    # a QDA project is one file read whole, not a folder of transcripts: the run may sit
    # beside it (outputs/ next to study.qdpx), as beside the metadata sheet
    folders = list(dict.fromkeys([*(f.parent for f in files if io.qda.project_format(f) is None),
                                  *(glob_root(Path(p)) for p in patterns)]))
    paths = list(files)
    for value in (cfg.input.metadata, cfg.codes.path, cfg.codes.codebook, cfg.protect.roster):
        if value:
            paths.append(Path(value))
    if cfg.source is not None:
        paths.append(cfg.source)
    if cfg.embed.model not in BUILTIN_MODELS:
        paths.append(Path(cfg.embed.model))
    return Inputs(paths=paths, folders=folders, patterns=patterns)


def check_outputs(cfg: Config, out: str | Path | None) -> Path:
    """The run folder, once it and the pseudonym map have passed every output guard.

    Checked before any work is done (and by ``textmine validate``): the run folder may
    replace only a run folder textmine made, never an input or a folder inputs are read from;
    the map never overwrites an input or lands where transcripts are read. Both must be
    writable.
    """
    folder = Path(out) if out else (Path(cfg.out) if cfg.out else
                                    Path.cwd() / "outputs" / cfg.run_name)
    folder = Path(os.path.abspath(folder.expanduser()))
    if folder.exists() and not folder.is_dir():
        raise ConfigError("the run folder is a file", path=folder, key="out",
                          hint="choose another folder with --out or remove the file")
    inputs = run_inputs(cfg)
    check_output_folder(folder, inputs, marker=RUN_MARKER, key="out", source=cfg.source)
    if cfg.protect.map_file:
        check_map_file(Path(os.path.abspath(cfg.protect.map_file)), inputs,
                       run_folder=folder, source=cfg.source)
    return folder.resolve()


def run(
    config: str | Path | dict | Config,
    *,
    out: str | Path | None = None,
    overrides: list[str] | None = None,
    write: bool = True,
    stages: list[str] | None = None,
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
    stages
        The model stages to run, of :data:`OPTIONAL_STAGES` (default: every stage the config
        enables). Reading, protecting and segmenting always run. The stages left out are
        switched off in the config itself (``<stage>.enabled: false``), so the manifest and
        ``config.resolved.yaml`` say what ran, and ``textmine run`` with that resolved config
        gives the same corpus and results.

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
    cfg = only_stages(cfg.resolved(), stages)
    folder = check_outputs(cfg, out) if write else None
    stages = Stages()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", TextmineWarning)
        with recording_reads() as reads:
            corpus, reports = read_inputs(cfg, stages)
            reports = protect_inputs(cfg, corpus, reports, stages)
        check_track(cfg, corpus)  # a typo in a column name stops here, not after embedding
        with stages("segment") as record:
            pp.segment(corpus, **cfg.segment.model_dump(exclude={"where"}))
            record.update({k: v for k, v in corpus.uns["segment"].items() if k.startswith("n_")})
            if cfg.segment.where:
                corpus = select(corpus, cfg.segment.where, record)
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
        "inputs": _scrub_inputs(protection, input_hashes(cfg, reads)),
        "packages": package_versions(),
        "seeds": {"seed": cfg.seed},
        "models": _models(stages.stages),
        "stages": _scrub_keeping_digests(protection, stages.stages),  # e.g. unknown doc ids
        "warnings": messages,
        "corpus": {"documents": corpus.n_docs, "turns": len(corpus.turns),
                   "segments": len(corpus), "codes": len(corpus.codes)},
    }
    if write:
        with staging_folder(folder, marker=RUN_MARKER) as tmp:
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


#: stages a run may leave out (``run(..., stages=[...])``), in the order they run
OPTIONAL_STAGES = ("embed", "topics", "track", "align", "report")


def only_stages(cfg: Config, stages: list[str] | None) -> Config:
    """A copy of ``cfg`` with every optional stage not in ``stages`` switched off."""
    if stages is None:
        return cfg
    unknown = [s for s in stages if s not in OPTIONAL_STAGES
               and s not in ("read", "protect", "segment")]
    if unknown:
        raise ConfigError(f"unknown stage(s) {unknown}", key="stages",
                          hint="stages are " + ", ".join(OPTIONAL_STAGES)
                          + " (read, protect and segment always run)")
    cfg = cfg.model_copy(deep=True)
    for name in OPTIONAL_STAGES:
        section = getattr(cfg, name)
        if name not in stages and "enabled" in type(section).model_fields:
            section.enabled = False
    return cfg


def _scrub_inputs(protection, hashes: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """Paths pseudonymised (a file may be named after a person); digests kept as they are."""
    return {kind: {protection.protect_text(path): protection.protect_text(value)
                   if kind == "links" else value for path, value in entries.items()}
            for kind, entries in hashes.items()}


def _scrub_keeping_digests(protection, value: Any) -> Any:
    """``protection.scrub``, except the values of ``*sha256`` keys.

    A hex digest's digits can look like a phone number, and an altered digest identifies
    nothing.
    """
    if isinstance(value, dict):
        return {protection.scrub(k): v if isinstance(k, str) and k.endswith("sha256")
                and isinstance(v, str) else _scrub_keeping_digests(protection, v)
                for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_scrub_keeping_digests(protection, v) for v in value)
    return protection.scrub(value)


def _models(stages: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The models a run used, for the manifest: embedding model, hash, folder, backend."""
    embed = stages.get("embed")
    if not embed:
        return {}
    return {"embed": {"name": embed["model"], "sha256": embed["model_sha256"],
                      "path": embed["model_path"], "backend": embed.get("backend")}}


def select(corpus: Corpus, where: dict[str, Any], record: dict[str, Any]) -> Corpus:
    """``corpus.filter(**where)`` with the config's keys in its errors, and counts recorded.

    Values are compared as text where the column holds text (YAML reads ``2020`` as a
    number, a metadata sheet gives ``"2020"``).
    """
    conditions = {}
    for column, wanted in where.items():
        if column not in corpus.segments.columns or column not in corpus.metadata_columns:
            raise ConfigError(f"segment.where names {column!r}, which is no metadata column",
                              key=f"segment.where.{column}",
                              hint="metadata columns: " + ", ".join(corpus.metadata_columns))
        values = corpus.segments[column]
        textual = not pd.api.types.is_numeric_dtype(values)
        listed = wanted if isinstance(wanted, list) else [wanted]
        conditions[column] = [str(v) for v in listed] if textual else listed
    before_docs, before_segs = corpus.n_docs, len(corpus)
    selected = corpus.filter(**conditions)
    if not len(selected):
        raise ConfigError(f"segment.where {where} matches no segment of the {before_docs} "
                          "documents", key="segment.where",
                          hint="check the values against the metadata sheet")
    record.update(where=where, n_documents_selected=selected.n_docs,
                  n_documents_not_selected=before_docs - selected.n_docs,
                  n_segments_selected=len(selected))
    log.info("segment.where %s: %d of %d documents (%d of %d segments) are analysed", where,
             selected.n_docs, before_docs, len(selected), before_segs)
    return selected


def analyse(cfg: Config, corpus: Corpus, stages: Stages) -> None:
    """The model stages: embed, topics, track, align (each skipped when its section says so)."""
    if cfg.embed.enabled:
        with stages("embed") as record:
            tl.embed(corpus, **cfg.embed.model_dump(exclude={"enabled"}), stats=record)
        if cfg.topics.enabled:
            with stages("topics") as record:
                tl.topics(corpus, seed=cfg.seed, stats=record,
                          **cfg.topics.model_dump(exclude={"enabled"}))
    # track needs something to track: topics, or at least the human codes
    if _track_wanted(cfg) and (cfg.track.topics in corpus.results or len(corpus.codes)):
        with stages("track") as record:
            tl.track(corpus, seed=cfg.seed, stats=record,
                     **cfg.track.model_dump(exclude={"enabled"}))


    if cfg.align.enabled and cfg.align.topics in corpus.results:
        if len(corpus.codes):
            with stages("align") as record:
                tl.align(corpus, seed=cfg.seed, stats=record,
                         **cfg.align.model_dump(exclude={"enabled", "export_qdpx"}))
        else:
            log.info("align: no human codes (codes.path), so nothing to align with")


def _track_wanted(cfg: Config) -> bool:
    return cfg.track.enabled and cfg.track.wanted()


def check_track(cfg: Config, corpus: Corpus) -> None:
    """Check track's columns and align's parent code against the inputs, before the models."""
    from textmine.tl.align import check as check_align
    from textmine.tl.track import check

    if _track_wanted(cfg):
        check(corpus, **cfg.track.model_dump(exclude={"enabled"}))
    if cfg.align.enabled:
        check_align(corpus, **cfg.align.model_dump(exclude={"enabled", "export_qdpx"}))


def write_run_folder(folder: Path, cfg: Config, corpus: Corpus, manifest: dict,
                     reports: dict[str, Any]) -> None:
    """Everything a run writes, into ``folder``."""
    config = corpus.protection.scrub(cfg.to_dict()) if corpus.protection else cfg.to_dict()
    write_yaml(folder / "config.resolved.yaml", config)
    # a stage's result is stored once, in the stage's own folder; corpus/ points to it
    write_tables(corpus, folder / "corpus", result_folders={
        key: folder / key for key in corpus.results if key in STAGE_FOLDERS})
    unplaced = reports.get("codes_unplaced")
    if unplaced is not None and len(unplaced):
        (folder / "reports").mkdir(exist_ok=True)
        unplaced.to_csv(folder / "reports" / "codes_unplaced.csv", index=False)
    if cfg.align.export_qdpx and "topics" in corpus.results:
        align = corpus.results.get("align")
        suggestions = align.tables.get("suggested_codes") if align is not None else None
        io.qda.write_qdpx(corpus, folder / "align" / "textmine.qdpx", topics_key="topics",
                          suggestions=suggestions, name=cfg.run_name)
    if cfg.report.enabled:
        write_report_files(folder, cfg, corpus, manifest)
    write_json(folder / "manifest.json", manifest)
    write_marker(folder)  # last: it lists every file above


def write_report_files(folder: Path, cfg: Config, corpus: Corpus, manifest: dict) -> None:
    """The report stage: figures/, tables/ and report.html, drawn from the stored results.

    Nothing is fitted or recomputed here. The stage's own timing is added to the manifest's
    ``stages`` (the report page shows the stages before it).
    """
    from textmine import pl, tables

    start = time.perf_counter()
    figures = pl.run_figures(corpus)
    made = tables.run_tables(corpus)
    files = pl.save_figures(figures, folder / "figures", formats=cfg.report.formats,
                            dpi=cfg.report.dpi)
    files += tables.write_tables(made, folder / "tables", formats=cfg.report.tables)
    if cfg.report.interactive and "topic_map" in figures:
        from textmine.pl.interactive import topic_map_html

        (folder / "figures").mkdir(exist_ok=True)
        path = folder / "figures" / "topic_map.html"
        path.write_text(topic_map_html(corpus, title=f"{cfg.run_name}: segments by topic"),
                        encoding="utf-8")
        files.append(path)
    if cfg.report.html:
        files.append(tables.write_report(
            folder / "report.html", corpus, manifest, figures=figures, tables=made,
            interactive="figures/topic_map.html" if (folder / "figures" / "topic_map.html")
            .is_file() else None))
    manifest["stages"]["report"] = {"figures": len(figures), "tables": len(made),
                                    "files": len(files),
                                    "seconds": round(time.perf_counter() - start, 3)}


def validate(config: str | Path | dict | Config, *, out: str | Path | None = None,
             overrides: list[str] | None = None) -> tuple[Config, Corpus, list[str]]:
    """Check a config and its inputs: read, place codes, protect, verify the model's files.

    The run folder (``out``, else the config's) and the pseudonym map pass the same output
    guards as in :func:`run`. Nothing heavy: no segmenting, no model loaded, nothing written.
    """
    cfg = config if isinstance(config, Config) else load_config(config, overrides=overrides)
    cfg = cfg.resolved()
    check_outputs(cfg, out)
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
        check_track(cfg, corpus)
    return cfg, corpus, list(dict.fromkeys(
        corpus.protection.protect_text(str(w.message)) for w in caught
        if issubclass(w.category, TextmineWarning)))
