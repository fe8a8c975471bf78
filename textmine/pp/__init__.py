"""Preprocessing: segment turns, map code spans onto segments."""

from textmine.pp.codes import map_codes
from textmine.pp.segment import segment

__all__ = ["map_codes", "segment"]
