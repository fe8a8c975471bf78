"""The YAML config, validated by pydantic: one module per section.

Unknown or misspelt keys are errors that name the key, the file and the line (with a
suggestion); relative paths resolve against the config file's folder. The same models
validate keyword arguments given in a notebook, so both paths share one set of rules.
"""

from textmine.config.align import AlignConfig
from textmine.config.base import Role, Section
from textmine.config.codes import CodeColumns, CodesConfig
from textmine.config.embed import EmbedConfig
from textmine.config.input import InputConfig, TableColumns
from textmine.config.loading import (
    config_error,
    load_config,
    reference_markdown,
    validate_section,
)
from textmine.config.protect import PATTERN_KINDS, PatternKind, ProtectConfig
from textmine.config.report import ReportConfig
from textmine.config.run import PATH_FIELDS, PATH_KEYWORDS, Config
from textmine.config.segment import SegmentConfig
from textmine.config.topics import TopicsConfig
from textmine.config.track import TrackConfig

__all__ = [
    "PATH_FIELDS", "PATH_KEYWORDS", "PATTERN_KINDS", "AlignConfig", "CodeColumns",
    "CodesConfig", "Config", "EmbedConfig", "InputConfig", "PatternKind", "ProtectConfig",
    "ReportConfig", "Role", "Section", "SegmentConfig", "TableColumns", "TopicsConfig",
    "TrackConfig", "config_error", "load_config", "reference_markdown", "validate_section",
]
