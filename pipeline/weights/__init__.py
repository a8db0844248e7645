"""Released weights: conversion of official checkpoints, loading, and inheritance into variants.

Imports models only; training and the CLI import this package.
"""

from pipeline.weights._convert import PARTS, Converted, KeyCheck, convert_checkpoint, write_converted
from pipeline.weights._families import FAMILIES, Family, family_of
from pipeline.weights._files import FORMAT, WeightsError, read_converted, read_release_checkpoint
from pipeline.weights._inherit import Inheritance, inherit_weights, inheritance_for
from pipeline.weights._load import load_pretrained, validate_pretrained

__all__ = [
    "Converted",
    "FAMILIES",
    "FORMAT",
    "Family",
    "Inheritance",
    "KeyCheck",
    "PARTS",
    "WeightsError",
    "convert_checkpoint",
    "family_of",
    "inherit_weights",
    "inheritance_for",
    "load_pretrained",
    "read_converted",
    "read_release_checkpoint",
    "validate_pretrained",
    "write_converted",
]
