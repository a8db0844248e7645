"""Search spaces as data: named dimensions over model-config fields and training hyperparameters.

A space file (YAML) declares, per encoder and per decoder it allows, the fields it fixes and the
fields it samples, plus training dimensions. It is checked here, where it is read: an unknown
part, an unknown field (with the nearest valid one), a per-stage index out of range or a
dimension that cannot be sampled (empty choices, low > high, log of a non-positive bound) fails
naming the file and the dimension. Whether every sampled point *builds* is checked in `_points`.

Imports no torch and no Ray: the job spec loader validates spaces with it.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from pipeline.model_configs import DECODER_CONFIGS, ENCODER_CONFIGS, ConfigError

KIND_CATEGORICAL = "categorical"
KIND_INT = "int"
KIND_FLOAT = "float"
KINDS = (KIND_CATEGORICAL, KIND_INT, KIND_FLOAT)

# Names of the dimensions that choose the encoder / decoder when a space allows more than one.
ENCODER_DIM = "encoder"
DECODER_DIM = "decoder"
TRAIN_PREFIX = "train"

_TOP_KEYS = ("name", "description", "encoders", "decoders", "train")
_PART_KEYS = ("fixed", "dimensions")
_DIM_KEYS = {
    KIND_CATEGORICAL: ("type", "choices"),
    KIND_INT: ("type", "low", "high", "step", "log"),
    KIND_FLOAT: ("type", "low", "high", "log"),
}
# `field` or `field[i]`: the second form samples one element of a per-stage tuple.
_TARGET = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?:\[(\d+)\])?$")


class SpaceError(ConfigError):
    """A search space file declares something that cannot be sampled or built."""


@dataclass(frozen=True)
class Dimension:
    """One named, sampled value. `field`/`index` say where it lands in its part's config."""

    name: str  # unique in the space, e.g. "mscan.depths", "mscan.widths[2]", "train.lr", "encoder"
    kind: str  # categorical, int or float
    choices: tuple[Any, ...] = ()  # categorical only; lists are stored as tuples
    low: float = 0.0  # int/float only
    high: float = 0.0
    step: int = 1  # int only
    log: bool = False  # sample on a log scale
    field: str = ""  # config field it sets ("" for the encoder/decoder choice)
    index: int | None = None  # element of a per-stage tuple, or None for the whole field

    def values_for_check(self, max_values: int = 16) -> tuple[Any, ...]:
        """The values the build check tries: every choice / int, or the ends of a float range."""
        if self.kind == KIND_CATEGORICAL:
            return self.choices
        if self.kind == KIND_INT:
            values = tuple(range(int(self.low), int(self.high) + 1, self.step))
            if len(values) <= max_values:
                return values
            middle = values[len(values) // 2]
            return (values[0], middle, values[-1])
        return (self.low, self.high) if self.low != self.high else (self.low,)


@dataclass(frozen=True)
class PartSpace:
    """The fixed fields and sampled dimensions of one encoder or decoder option."""

    part: str  # "encoder" or "decoder"
    name: str  # registry name, e.g. "mscan"
    fixed: tuple[tuple[str, Any], ...]  # (field, value) pairs set for every point
    dimensions: tuple[Dimension, ...]

    def base_fields(self) -> dict[str, Any]:
        """Fixed fields over the part's defaults: what per-stage element dimensions start from."""
        cls = _part_table(self.part)[self.name]
        defaults = {
            f.name: f.default for f in dataclasses.fields(cls) if f.default is not dataclasses.MISSING
        }
        return defaults | dict(self.fixed)


@dataclass(frozen=True)
class SearchSpace:
    name: str
    source: str  # the file it was read from; every error message names it
    encoders: tuple[PartSpace, ...]
    decoders: tuple[PartSpace, ...]
    train: tuple[Dimension, ...]

    def part_choice(self, part: str) -> Dimension | None:
        """The categorical dimension choosing the encoder/decoder, or None when there is one option."""
        options = self.encoders if part == "encoder" else self.decoders
        if len(options) == 1:
            return None
        return Dimension(name=part, kind=KIND_CATEGORICAL, choices=tuple(o.name for o in options))

    def option(self, part: str, name: str) -> PartSpace:
        options = self.encoders if part == "encoder" else self.decoders
        for option in options:
            if option.name == name:
                return option
        raise SpaceError(f"{self.source}: {part} {name!r} is not in the space ({[o.name for o in options]})")

    def dimension_names(self) -> tuple[str, ...]:
        names = [d.name for d in (self.part_choice("encoder"), self.part_choice("decoder")) if d is not None]
        for option in (*self.encoders, *self.decoders):
            names.extend(d.name for d in option.dimensions)
        names.extend(d.name for d in self.train)
        return tuple(names)


def _part_table(part: str) -> dict[str, type]:
    return ENCODER_CONFIGS if part == "encoder" else DECODER_CONFIGS


def _nearest(word: str, candidates: list[str]) -> str:
    hint = difflib.get_close_matches(word, candidates, n=1, cutoff=0.5)
    return f"; did you mean {hint[0]!r}?" if hint else f"; valid: {candidates}"


def _plain_choice(value: Any) -> Any:
    """Lists (per-stage tuples in YAML) become tuples, recursively, so choices are hashable."""
    if isinstance(value, list):
        return tuple(_plain_choice(v) for v in value)
    return value


def encode_choice(value: Any) -> Any:
    """Optuna's categorical values must be scalars: tuples travel as canonical JSON strings."""
    if isinstance(value, tuple):
        return json.dumps(value, separators=(",", ":"))
    return value


def decode_choice(value: Any) -> Any:
    if isinstance(value, str) and value.startswith("["):
        return _plain_choice(json.loads(value))
    return value


def _parse_dimension(where: str, name: str, raw: Any, field: str, index: int | None) -> Dimension:
    if not isinstance(raw, dict) or raw.get("type") not in KINDS:
        raise SpaceError(f"{where}: expected a mapping with type one of {list(KINDS)}, got {raw!r}")
    kind = raw["type"]
    unknown = sorted(set(raw) - set(_DIM_KEYS[kind]))
    if unknown:
        raise SpaceError(f"{where}: unknown key {unknown[0]!r} for a {kind} dimension{_nearest(unknown[0], list(_DIM_KEYS[kind]))}")
    if kind == KIND_CATEGORICAL:
        choices = raw.get("choices")
        if not isinstance(choices, list) or not choices:
            raise SpaceError(f"{where}: choices: expected a non-empty list, got {choices!r}")
        plain = tuple(_plain_choice(c) for c in choices)
        if len({encode_choice(c) for c in plain}) != len(plain):
            raise SpaceError(f"{where}: choices: expected distinct values, got {choices!r}")
        for c in plain:
            if isinstance(c, dict) or c is None:
                raise SpaceError(f"{where}: choices: expected numbers, strings, booleans or lists, got {c!r}")
        return Dimension(name=name, kind=kind, choices=plain, field=field, index=index)
    low, high, log = raw.get("low"), raw.get("high"), raw.get("log", False)
    number = int if kind == KIND_INT else (int, float)
    for key, value in (("low", low), ("high", high)):
        if isinstance(value, bool) or not isinstance(value, number):
            raise SpaceError(f"{where}: {key}: expected {'an integer' if kind == KIND_INT else 'a number'}, got {value!r}")
    if low > high:  # type: ignore[operator]
        raise SpaceError(f"{where}: expected low <= high, got low={low!r}, high={high!r}")
    if not isinstance(log, bool):
        raise SpaceError(f"{where}: log: expected true or false, got {log!r}")
    if log and low <= 0:  # type: ignore[operator]
        raise SpaceError(f"{where}: a log-scale range needs low > 0, got low={low!r}")
    step = raw.get("step", 1)
    if kind == KIND_INT:
        if isinstance(step, bool) or not isinstance(step, int) or step < 1:
            raise SpaceError(f"{where}: step: expected an integer >= 1, got {step!r}")
        if log and step != 1:
            raise SpaceError(f"{where}: a log-scale int range needs step 1 (Optuna's rule), got step={step!r}")
        if (high - low) % step != 0:  # type: ignore[operator]
            raise SpaceError(f"{where}: expected high - low to be a multiple of step {step}, got low={low}, high={high}")
    return Dimension(name=name, kind=kind, low=low, high=high, step=step, log=log, field=field, index=index)  # type: ignore[arg-type]


def _parse_part(source: str, part: str, name: str, raw: Any) -> PartSpace:
    table = _part_table(part)
    where = f"{source}: {part}s.{name}"
    if name not in table:
        raise SpaceError(f"{where}: unknown {part}{_nearest(name, sorted(table))}")
    raw = raw or {}
    if not isinstance(raw, dict):
        raise SpaceError(f"{where}: expected a mapping with {list(_PART_KEYS)}, got {raw!r}")
    for key in raw:
        if key not in _PART_KEYS:
            raise SpaceError(f"{where}: unknown key {key!r}{_nearest(key, list(_PART_KEYS))}")
    cls = table[name]
    fields = sorted(f.name for f in dataclasses.fields(cls))
    fixed_raw = raw.get("fixed") or {}
    if not isinstance(fixed_raw, dict):
        raise SpaceError(f"{where}.fixed: expected a mapping of {cls.__name__} fields, got {fixed_raw!r}")
    for key in fixed_raw:
        if key not in fields:
            raise SpaceError(f"{where}.fixed.{key}: unknown field of {cls.__name__}{_nearest(key, fields)}")
    fixed = tuple((k, _plain_choice(v)) for k, v in fixed_raw.items())
    option = PartSpace(part=part, name=name, fixed=fixed, dimensions=())
    base = option.base_fields()
    dims_raw = raw.get("dimensions") or {}
    if not isinstance(dims_raw, dict):
        raise SpaceError(f"{where}.dimensions: expected a mapping of dimension name to definition, got {dims_raw!r}")
    dims = []
    for target, dim_raw in dims_raw.items():
        dim_where = f"{where}.dimensions.{target}"
        match = _TARGET.match(str(target))
        if match is None:
            raise SpaceError(f"{dim_where}: expected a field name or field[stage index]")
        field, index_text = match.group(1), match.group(2)
        if field not in fields:
            raise SpaceError(f"{dim_where}: unknown field {field!r} of {cls.__name__}{_nearest(field, fields)}")
        if field in fixed_raw and index_text is None:
            raise SpaceError(f"{dim_where}: {field!r} is both fixed and sampled; keep one")
        index = None
        if index_text is not None:
            index = int(index_text)
            current = base.get(field)
            if not isinstance(current, tuple):
                raise SpaceError(f"{dim_where}: {cls.__name__}.{field} is not a per-stage tuple; drop the [index]")
            if index >= len(current):
                raise SpaceError(f"{dim_where}: index {index} out of range for {cls.__name__}.{field} = {current!r}")
        dims.append(_parse_dimension(dim_where, f"{name}.{target}", dim_raw, field, index))
    whole = {d.field for d in dims if d.index is None}
    for d in dims:
        if d.index is not None and d.field in whole:
            raise SpaceError(f"{where}.dimensions: {d.name} samples an element of {d.field!r}, which is also sampled whole")
    return dataclasses.replace(option, dimensions=tuple(dims))


def _train_fields() -> list[str]:
    from pipeline.training import TrainConfig

    return sorted(f.name for f in dataclasses.fields(TrainConfig))


def parse_search_space(data: Any, source: str) -> SearchSpace:
    """Validate a parsed space document; `source` names it in every error."""
    if not isinstance(data, dict):
        raise SpaceError(f"{source}: expected a mapping with keys {list(_TOP_KEYS)}, got {type(data).__name__}")
    for key in data:
        if key not in _TOP_KEYS:
            raise SpaceError(f"{source}: unknown key {key!r}{_nearest(str(key), list(_TOP_KEYS))}")
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise SpaceError(f"{source}: name: expected a non-empty string, got {name!r}")
    parts: dict[str, tuple[PartSpace, ...]] = {}
    for part in ("encoder", "decoder"):
        raw = data.get(f"{part}s")
        if not isinstance(raw, dict) or not raw:
            raise SpaceError(f"{source}: {part}s: expected a mapping of {part} name to its fixed fields and dimensions")
        parts[part] = tuple(_parse_part(source, part, str(n), r) for n, r in raw.items())
    train_raw = data.get("train") or {}
    if not isinstance(train_raw, dict):
        raise SpaceError(f"{source}: train: expected a mapping of TrainConfig field to dimension, got {train_raw!r}")
    train_fields = _train_fields() if train_raw else []
    train = []
    for field, raw in train_raw.items():
        where = f"{source}: train.{field}"
        if field not in train_fields:
            raise SpaceError(f"{where}: unknown field of TrainConfig{_nearest(str(field), train_fields)}")
        train.append(_parse_dimension(where, f"{TRAIN_PREFIX}.{field}", raw, str(field), None))
    return SearchSpace(name=name, source=source, encoders=parts["encoder"], decoders=parts["decoder"], train=tuple(train))


def load_search_space(path: str | Path, check_builds: bool = True) -> SearchSpace:
    """Read, validate and (by default) build-check a space file; see search_spaces/README.md."""
    path = Path(path)
    if not path.is_file():
        raise SpaceError(f"{path}: search space file not found")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise SpaceError(f"{path}: not valid YAML: {error}") from None
    space = parse_search_space(data, str(path))
    if check_builds:
        from pipeline.search._points import check_space_builds

        check_space_builds(space)
    return space
