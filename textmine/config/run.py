"""The whole run's config: the top-level keys and one section per stage."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator, model_validator

from textmine.config.align import AlignConfig
from textmine.config.base import Section, not_blank
from textmine.config.codes import CodesConfig
from textmine.config.embed import EmbedConfig
from textmine.config.input import InputConfig
from textmine.config.protect import ProtectConfig
from textmine.config.report import ReportConfig
from textmine.config.segment import SegmentConfig
from textmine.config.topics import TopicsConfig
from textmine.config.track import TrackConfig

#: the largest seed numpy's and UMAP's random states accept
MAX_SEED = 2**32 - 1


class Config(Section):
    """A whole run."""

    run_name: str = Field("textmine", pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$",
                          description="names the run folder: outputs/<run_name>")
    seed: int = Field(0, ge=0, le=MAX_SEED,
                      description="seed of every random step (0 to 2**32 - 1)")
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
        return not_blank(value)

    @model_validator(mode="after")
    def _seeds_fit(self) -> Config:
        # the stability refits use seed + 1, seed + 2, ...: all must be valid seeds, checked
        # here rather than after the embedding has been computed
        last = self.seed + self.topics.stability_seeds
        if last > MAX_SEED:
            raise ValueError(f"seed + topics.stability_seeds is {last}, over {MAX_SEED} "
                             "(2**32 - 1, the largest seed UMAP and HDBSCAN accept)")
        return self

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
