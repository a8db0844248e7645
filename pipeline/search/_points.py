"""Sampled points of a search space: decoding, stable ids, the define-by-run sampler, the build check.

A point is the flat dict of sampled values (`{"encoder": "mscan", "mscan.depths": "[2,2,4,2]",
"train.lr": 3e-4}`); it decodes into a model-config dict (`pipeline.model_configs` form) and a
dict of training overrides. The architecture id hashes the *resolved* model config (defaults
filled in, canonical JSON), so two spellings of one architecture share an id.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import random
from dataclasses import dataclass
from typing import Any

from pipeline.model_configs import ConfigError, model_config_from_dict, model_config_to_dict
from pipeline.search._space import (
    KIND_CATEGORICAL,
    KIND_INT,
    Dimension,
    PartSpace,
    SearchSpace,
    SpaceError,
    decode_choice,
    encode_choice,
)

# Spaces with at most this many check points are checked exhaustively; larger ones by sampling.
FULL_CHECK_LIMIT = 4096
SAMPLED_CHECK_POINTS = 512  # enough to hit every choice of a realistic space many times
CHECK_NUM_CLASSES = 19  # class count only sizes the classifier; it never makes a point unbuildable


@dataclass(frozen=True)
class ResolvedPoint:
    model_config: dict[str, Any]  # resolved: every field present, tuples as lists
    hparams: dict[str, Any]  # TrainConfig field → sampled value
    arch_id: str
    point_key: str  # arch id + hparams: the unit of deduplication


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _digest(value: Any) -> str:
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()[:12]


def arch_id(model_config: dict[str, Any]) -> str:
    """Stable 12-hex id of an architecture: the hash of its resolved config's canonical JSON."""
    resolved = model_config_to_dict(model_config_from_dict(model_config))
    return _digest(json.loads(json.dumps(resolved)))


def _part_dict(option: PartSpace, params: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {"name": option.name, **dict(option.fixed)}
    base = option.base_fields()
    for dim in option.dimensions:
        if dim.name not in params:
            raise SpaceError(f"point is missing dimension {dim.name!r} of {option.part} {option.name!r}")
        value = decode_choice(params[dim.name])
        if dim.index is None:
            fields[dim.field] = value
        else:
            current = list(fields.get(dim.field, base[dim.field]))
            current[dim.index] = value
            fields[dim.field] = tuple(current)
    return fields


def decode_point(space: SearchSpace, params: dict[str, Any], num_classes: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """(model config dict, training overrides) of a flat point; raises ConfigError when it does not build."""
    parts = {}
    for part in ("encoder", "decoder"):
        choice = space.part_choice(part)
        name = (space.encoders if part == "encoder" else space.decoders)[0].name if choice is None else params[part]
        parts[part] = _part_dict(space.option(part, name), params)
    config = model_config_to_dict(model_config_from_dict({**parts, "num_classes": num_classes}))
    hparams = {d.field: decode_choice(params[d.name]) for d in space.train}
    return json.loads(json.dumps(config)), hparams


def point_key_of(arch: str, hparams: dict[str, Any]) -> str:
    """Deduplication key: the same architecture with the same training values is the same point."""
    return _digest({"arch": arch, "train": hparams})


def resolve_point(space: SearchSpace, params: dict[str, Any], num_classes: int) -> ResolvedPoint:
    config, hparams = decode_point(space, params, num_classes)
    arch = arch_id(config)
    return ResolvedPoint(config, hparams, arch, point_key_of(arch, hparams))


def _suggest(trial: Any, dim: Dimension) -> Any:
    if dim.kind == KIND_CATEGORICAL:
        return trial.suggest_categorical(dim.name, [encode_choice(c) for c in dim.choices])
    if dim.kind == KIND_INT:
        return trial.suggest_int(dim.name, int(dim.low), int(dim.high), step=dim.step, log=dim.log)
    return trial.suggest_float(dim.name, float(dim.low), float(dim.high), log=dim.log)


@dataclass(frozen=True)
class SpaceSampler:
    """Optuna define-by-run function: conditional sub-spaces (an encoder's dims only when it is chosen).

    A picklable callable rather than a closure, because Ray Tune saves its searcher to disk.
    """

    space: SearchSpace

    def __call__(self, trial: Any) -> None:
        for part in ("encoder", "decoder"):
            choice = self.space.part_choice(part)
            options = self.space.encoders if part == "encoder" else self.space.decoders
            name = options[0].name if choice is None else _suggest(trial, choice)
            for dim in self.space.option(part, name).dimensions:
                _suggest(trial, dim)
        for dim in self.space.train:
            _suggest(trial, dim)


def _check_grid(space: SearchSpace) -> list[list[tuple[str, tuple[Any, ...]]]]:
    """Per (encoder, decoder) combination: the (dimension name, values to try) lists."""
    grids = []
    for enc, dec in itertools.product(space.encoders, space.decoders):
        grid: list[tuple[str, tuple[Any, ...]]] = []
        for part, option in (("encoder", enc), ("decoder", dec)):
            if space.part_choice(part) is not None:
                grid.append((part, (option.name,)))
            grid.extend((d.name, tuple(encode_choice(v) for v in d.values_for_check())) for d in option.dimensions)
        grids.append(grid)
    return grids


def check_points(space: SearchSpace) -> list[dict[str, Any]]:
    """The architecture points the build check tries: the full product, or a seeded sample of it."""
    grids = _check_grid(space)
    sizes = [_product_size(grid) for grid in grids]
    points: list[dict[str, Any]] = []
    if sum(sizes) <= FULL_CHECK_LIMIT:
        for grid in grids:
            names = [n for n, _ in grid]
            points.extend(dict(zip(names, values)) for values in itertools.product(*(v for _, v in grid)))
        return points
    rng = random.Random(0)
    for _ in range(SAMPLED_CHECK_POINTS):
        grid = rng.choices(grids, weights=sizes)[0]
        points.append({name: rng.choice(values) for name, values in grid})
    return points


def _product_size(grid: list[tuple[str, tuple[Any, ...]]]) -> int:
    size = 1
    for _, values in grid:
        size *= len(values)
    return size


def check_space_builds(space: SearchSpace) -> int:
    """Raise SpaceError listing the points that do not make a valid config; return how many were checked."""
    failures: list[str] = []
    points = check_points(space)
    train_defaults = {d.name: encode_choice(d.values_for_check()[0]) for d in space.train}
    for point in points:
        try:
            decode_point(space, point | train_defaults, CHECK_NUM_CLASSES)
        except ConfigError as error:
            shown = {k: decode_choice(v) for k, v in point.items()}
            failures.append(f"  {shown}: {error}")
    failures.extend(_check_train_values(space))
    if failures:
        shown = "\n".join(failures[:5]) + (f"\n  ... and {len(failures) - 5} more" if len(failures) > 5 else "")
        raise SpaceError(f"{space.source}: {len(failures)} of {len(points)} checked points do not build:\n{shown}")
    return len(points)


def _check_train_values(space: SearchSpace) -> list[str]:
    if not space.train:
        return []
    from pipeline.training import TrainConfig

    failures = []
    for dim in space.train:
        for value in dim.values_for_check():
            try:
                dataclasses.replace(TrainConfig(), **{dim.field: value})
            except (ConfigError, TypeError) as error:
                failures.append(f"  {{{dim.name!r}: {value!r}}}: {error}")
    return failures
