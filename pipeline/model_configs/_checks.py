"""Validation helpers shared by the model configs.

Every failure names the config class and field, shows the offending value and says what is
allowed, so a bad search point or job spec is rejected before any module is built.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


class ConfigError(ValueError):
    """A model config field holds a value the architecture cannot be built with."""


def fail(owner: str, field: str, expected: str, value: object) -> None:
    raise ConfigError(f"{owner}.{field}: expected {expected}, got {value!r}")


def check_length(owner: str, field: str, value: Sequence[object], length: int) -> None:
    if not isinstance(value, tuple):
        fail(owner, field, f"a tuple of {length} values", value)
    if len(value) != length:
        fail(owner, field, f"a tuple of {length} values (one per stage)", value)


def check_tuple_length_matches(owner: str, field: str, value: Sequence[object], other: str, length: int) -> None:
    if not isinstance(value, tuple) or len(value) != length:
        fail(owner, field, f"a tuple of {length} values, as many as {other}", value)


def check_int_at_least(owner: str, field: str, value: object, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        fail(owner, field, f"an integer >= {low}", value)


def check_ints_at_least(owner: str, field: str, values: Iterable[object], low: int) -> None:
    values = tuple(values)
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int) or v < low:
            fail(owner, field, f"integers >= {low}", values)


def check_odd_kernels(owner: str, field: str, values: Iterable[object]) -> None:
    values = tuple(values)
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int) or v < 1 or v % 2 == 0:
            fail(owner, field, "odd kernel sizes >= 1 (so padding keeps the spatial size)", values)


def check_float_range(owner: str, field: str, value: object, low: float, high: float, high_inclusive: bool = False) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(value, (int, float)) and ok:
        ok = low <= value <= high if high_inclusive else low <= value < high
    if not ok:
        bracket = "]" if high_inclusive else ")"
        fail(owner, field, f"a number in [{low}, {high}{bracket}", value)


def check_positive_floats(owner: str, field: str, values: Iterable[object]) -> None:
    values = tuple(values)
    for v in values:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v <= 0:
            fail(owner, field, "positive numbers", values)


def check_divisible(owner: str, field: str, values: Sequence[int], by_field: str, by: Sequence[int]) -> None:
    for stage, (v, d) in enumerate(zip(values, by)):
        if v % d != 0:
            raise ConfigError(
                f"{owner}.{field}: stage {stage} width {v} is not divisible by {by_field}={d}; "
                f"expected every width to be a multiple of its head count, got {field}={tuple(values)!r}, "
                f"{by_field}={tuple(by)!r}"
            )


def check_choice(owner: str, field: str, value: object, allowed: Iterable[object]) -> None:
    allowed = tuple(allowed)
    if value not in allowed:
        fail(owner, field, f"one of {allowed!r}", value)


def check_stage_indices(owner: str, field: str, values: object, num_stages: int) -> None:
    if (
        not isinstance(values, tuple)
        or not values
        or any(isinstance(v, bool) or not isinstance(v, int) or not 0 <= v < num_stages for v in values)
        or len(set(values)) != len(values)
    ):
        fail(owner, field, f"a non-empty tuple of distinct stage indices in 0..{num_stages - 1}", values)


def check_multiple_of(owner: str, field: str, value: int, of_field: str, of: int) -> None:
    if value % of != 0:
        fail(owner, field, f"a multiple of {of_field}={of}", value)


def check_bool(owner: str, field: str, value: object) -> None:
    if not isinstance(value, bool):
        fail(owner, field, "True or False", value)
