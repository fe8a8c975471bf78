"""Preprocessing: protect (pseudonymise), segment turns, map code spans onto segments."""

from textmine.pp import context
from textmine.pp.codes import code_at_level, codes_at_level, map_codes
from textmine.pp.protect import protect, write_pseudonym_map
from textmine.pp.segment import segment

__all__ = ["code_at_level", "codes_at_level", "context", "map_codes", "protect", "segment",
           "write_pseudonym_map"]
