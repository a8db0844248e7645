"""Turning YAML mappings into validated frozen dataclasses, with errors that name the key path.

`build_dataclass(cls, data, path)` fills `cls` from a mapping: nested dataclass fields (also
`X | None`) are built recursively, lists become tuples, an unknown key fails with the nearest
valid key, and a value the dataclass rejects fails with the path and the dataclass's own message
(which names the field and the allowed values).
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from typing import Any, TypeVar

from pipeline.model_configs import ConfigError

T = TypeVar("T")


class SpecError(ConfigError):
    """A job spec that cannot be run; the message starts with the file and the key path."""


def suggest(key: str, valid: typing.Iterable[str]) -> str:
    """"; did you mean 'x'?" for the nearest valid key, or the list of valid keys."""
    valid = sorted(valid)
    close = difflib.get_close_matches(key, valid, n=1, cutoff=0.5)
    if close:
        return f"; did you mean {close[0]!r}?"
    return f"; valid keys: {', '.join(valid)}"


def join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def require_mapping(data: object, path: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise SpecError(f"{path}: expected a mapping, got {type(data).__name__} {data!r}")
    for key in data:
        if not isinstance(key, str):
            raise SpecError(f"{path}: keys must be strings, got {key!r}")
    return data


def check_keys(data: dict[str, Any], valid: typing.Iterable[str], path: str) -> None:
    valid = tuple(valid)
    for key in data:
        if key not in valid:
            raise SpecError(f"{join(path, key)}: unknown key{suggest(key, valid)}")


def _dataclass_in(annotation: Any) -> type | None:
    """The dataclass type in `X` or `X | None`, else None."""
    if dataclasses.is_dataclass(annotation) and isinstance(annotation, type):
        return annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            if dataclasses.is_dataclass(arg) and isinstance(arg, type):
                return arg
    return None


def _plain_value(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_plain_value(v) for v in value)
    return value


def build_dataclass(cls: type[T], data: object, path: str) -> T:
    """An instance of `cls` from a mapping (None or {} gives the defaults)."""
    data = require_mapping({} if data is None else data, path)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}  # type: ignore[arg-type]
    check_keys(data, fields, path)
    hints = typing.get_type_hints(cls)
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        nested = _dataclass_in(hints.get(key))
        if nested is not None and isinstance(value, dict):
            kwargs[key] = build_dataclass(nested, value, join(path, key))
        elif nested is not None and value is not None and not isinstance(value, nested):
            raise SpecError(f"{join(path, key)}: expected a mapping of {nested.__name__} fields or null, got {value!r}")
        else:
            kwargs[key] = _plain_value(value)
    missing = [name for name, f in fields.items() if name not in kwargs
               and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    if missing:
        raise SpecError(f"{join(path, missing[0])}: missing required key")
    try:
        return cls(**kwargs)
    except SpecError:
        raise
    except (ValueError, TypeError) as error:
        raise SpecError(f"{path}: {error}") from None
