"""Experiment specs (YAML): `load_spec(path) -> ExperimentSpec`, validated on load.

Sections and their parsers live in one flat table, `SECTION_PARSERS` (section name → parser).
"""

from pipeline.specs._parse import SpecError, build_dataclass, suggest
from pipeline.specs._sections import REQUIRED_SECTIONS, SECTION_PARSERS, ModelSpec, RaySpec, StorageSpec
from pipeline.specs._spec import ExperimentSpec, load_spec, parse_spec

__all__ = [
    "ExperimentSpec",
    "ModelSpec",
    "REQUIRED_SECTIONS",
    "RaySpec",
    "SECTION_PARSERS",
    "SpecError",
    "StorageSpec",
    "build_dataclass",
    "load_spec",
    "parse_spec",
    "suggest",
]
