"""``embed``: sentence embeddings from a verified local model."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from textmine.config.base import Section

# a Dask scheduler address: tcp://host:port, tls://..., or host:port
_ADDRESS = re.compile(r"^(?:(?:tcp|tls|ws|wss|ucx)://)?[A-Za-z0-9.\-\[\]:]+:\d+$")


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
    backend: Literal["auto", "torch", "onednn", "onnx"] = Field(
        "auto", description="auto: onednn where torch has it (x86-64), else torch | torch: "
        "torch's own kernels (MKL) | onednn: torch with the transformer's linear layers on "
        "oneDNN (no extra package) | onnx: the transformer on ONNX Runtime, exported from the "
        "verified weights on first use (~3 s; pip install 'textmine[onnx]'); vectors within "
        "4e-7 of each other, cached apart; speeds in docs/performance.md")
    context: Literal["prompt", "none"] = Field(
        "prompt", description="prompt: embed each segment followed by the end of the question "
        "it answers (the interviewer's last turn); none: the segment alone")
    context_words: int = Field(40, ge=1, le=200,
                               description="words of the question kept as context")
    scheduler: str | None = Field(
        None, description="null: encode in this process | local: a Dask LocalCluster of "
        "`workers` processes on this machine | the address of a running Dask scheduler "
        "(tcp://host:8786); same vectors either way (docs/performance.md)")
    workers: int = Field(2, ge=1, le=256,
                         description="worker processes of the local Dask cluster")
    chunk_size: int = Field(512, ge=1, le=100_000,
                            description="texts per Dask task (and per cache write)")

    @model_validator(mode="after")
    def _backend(self) -> EmbedConfig:
        if self.backend not in ("auto", "torch") and self.model == "static":
            raise ValueError(f"backend {self.backend} runs a transformer, and the static model "
                             "has none: use backend torch with model static")
        return self

    @field_validator("scheduler")
    @classmethod
    def _scheduler(cls, value: str | None) -> str | None:
        if value is None or value == "local" or _ADDRESS.match(value):
            return value
        raise ValueError("must be local, a Dask scheduler address such as tcp://host:8786, "
                         "or null (one process)")
