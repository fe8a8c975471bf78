"""Command line: parsing only, then :mod:`textmine.pipeline`.

::

    textmine run CONFIG.yaml [--out DIR] [--set section.key=value ...]
    textmine validate CONFIG.yaml [--out DIR] [--set section.key=value ...]
    textmine info

Expected failures (bad input, bad config) print one line and exit with status 2.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

EXIT_USAGE = 2


class _OneLine(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        level = "" if record.levelno == logging.INFO else f"{record.levelname.lower()}: "
        return f"textmine: {level}{record.getMessage()}"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="textmine",
        description="Topic modelling of interview transcripts, aligned with human coding.")
    parser.add_argument("--debug", action="store_true",
                        help="show tracebacks (may print transcript text)")
    parser.add_argument("-q", "--quiet", action="store_true", help="only errors")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the pipeline a config describes")
    run.add_argument("config", help="YAML config file")
    run.add_argument("--out", help="run folder (default: outputs/<run_name>)")
    run.add_argument("--set", dest="overrides", action="append", default=[],
                     metavar="SECTION.KEY=VALUE", help="override a config value (repeatable)")
    val = sub.add_parser("validate", help="check a config and its inputs; runs nothing heavy")
    val.add_argument("config", help="YAML config file")
    val.add_argument("--out", help="check this run folder too (default: the config's)")
    val.add_argument("--set", dest="overrides", action="append", default=[],
                     metavar="SECTION.KEY=VALUE")
    sub.add_parser("info", help="versions, model and cache location")
    return parser


def _info() -> None:
    from textmine.errors import ModelError
    from textmine.models.cache import DB_NAME, cache_location
    from textmine.models.sources import verify_minilm
    from textmine.runfolder import package_versions

    for name, value in package_versions().items():
        if value:
            print(f"{name:22s} {value}")
    try:
        minilm = verify_minilm()
        print(f"{'default model':22s} minilm (all-MiniLM-L6-v2) {minilm.path}")
        print(f"{'  weights sha256':22s} {minilm.details['weights_sha256']} (verified)")
        print(f"{'  content sha256':22s} {minilm.sha256}")
    except ModelError as exc:
        print(f"{'default model':22s} NOT USABLE: {exc}")
    from textmine.models.embedder import resolve_backend

    backend = resolve_backend("auto", "sentence-transformers")
    why_backend = ("torch has oneDNN's packed linear layer" if backend == "onednn"
                   else "this torch has no oneDNN")
    print(f"{'embed backend':22s} auto -> {backend} ({why_backend}; embed.backend overrides it)")
    folder, why = cache_location()
    print(f"{'cache':22s} {folder} ({why}; embed.cache_dir in a config overrides it)")
    database = folder / DB_NAME
    if database.is_file():
        print(f"{'  embeddings':22s} {database} ({database.stat().st_size / 1e6:.1f} MB)")
    else:
        print(f"{'  embeddings':22s} none yet")
    statics = sorted(p.name for p in (folder / "models").glob("static-*") if p.is_dir()) \
        if (folder / "models").is_dir() else []
    print(f"{'  static models':22s} {', '.join(statics) if statics else 'none distilled yet'}")


def _print_warnings(messages: Sequence[str], where: str) -> None:
    """The closing count of the warnings, as the summary's last line."""
    if messages:
        print(f"  warnings: {len(messages)} (see {where})")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``textmine`` command; returns the exit status."""
    args = _parser().parse_args(argv)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_OneLine())
    log = logging.getLogger("textmine")
    # called in-process (tests, notebooks) main must leave logging as it found it
    saved = (list(log.handlers), log.level, log.propagate)
    log.handlers[:] = [handler]
    log.setLevel(logging.ERROR if args.quiet else logging.INFO)
    log.propagate = False
    try:
        return _dispatch(args, log)
    finally:
        log.handlers[:] = saved[0]
        log.setLevel(saved[1])
        log.propagate = saved[2]


def _dispatch(args: argparse.Namespace, log: logging.Logger) -> int:
    from textmine.errors import TextmineError

    try:
        if args.command == "info":
            _info()
        elif args.command == "validate":
            from textmine.pipeline import validate

            cfg, corpus, messages = validate(args.config, out=args.out,
                                             overrides=args.overrides)
            for message in messages:
                log.warning(message)
            print(corpus.summary(warnings=False))
            _print_warnings(messages, "rerun without -q" if args.quiet else "above")
            print(f"{cfg.source}: valid")
        else:
            from textmine.pipeline import run

            result = run(args.config, out=args.out, overrides=args.overrides)
            if not args.quiet:
                # the manifest's warnings are every stage's; corpus.uns holds only the
                # reading and segmenting notes, so the count comes from the manifest
                print(result.corpus.summary(warnings=False))
                _print_warnings(result.manifest.get("warnings") or [], "manifest.json")
                print(f"run folder: {result.folder}")
    except TextmineError as exc:
        if args.debug:
            raise
        log.error(str(exc))
        return EXIT_USAGE
    except KeyboardInterrupt:
        log.error("interrupted; no run folder was written")
        return 130
    except Exception as exc:  # a bug: say so in one line; --debug shows where
        if args.debug:
            raise
        log.error(f"internal error ({type(exc).__name__}); rerun with --debug and report it")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
