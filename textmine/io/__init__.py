"""Readers and writers: transcripts, metadata, human codes, corpus folders."""

from textmine.io import qda
from textmine.io.codes import CodesReport, load_codes, read_codes
from textmine.io.corpus_dir import read_corpus, write_corpus
from textmine.io.metadata import read_metadata
from textmine.io.transcripts import Transcript, read_file, read_transcripts, source_text

__all__ = [
    "CodesReport", "Transcript", "load_codes", "read_codes", "read_corpus", "read_file",
    "qda", "read_metadata", "read_transcripts", "source_text", "write_corpus",
]
