"""Bad measurement arguments fail where they enter, naming the argument and the allowed values."""

from __future__ import annotations

import pytest

from pipeline.measure import LatencySettings, SettingsError, format_isr, parse_isr


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"precision": "fp8"}, r"precision: expected one of \['fp32', 'fp16', 'bf16'\]"),
        ({"precision": "fp16"}, r"precision: fp16 is not supported on device 'cpu'"),
        ({"height": 0}, r"height: expected an integer >= 1"),
        ({"width": -3}, r"width: expected an integer >= 1"),
        ({"batch": 1.5}, r"batch: expected an integer >= 1"),
        ({"repeats": 0}, r"repeats: expected an integer >= 1"),
        ({"device": "tpu"}, r"device: expected one of \['cpu', 'cuda'\]"),
        ({"compile": True, "warmup": 0}, r"warmup: .*expected warmup >= 1"),
    ],
)
def test_bad_settings_are_rejected(options: dict[str, object], message: str) -> None:
    kwargs: dict[str, object] = {"height": 8, "width": 8} | options
    with pytest.raises(SettingsError, match=message):
        LatencySettings(**kwargs)  # type: ignore[arg-type]


def test_modes_are_labelled() -> None:
    assert LatencySettings(8, 8).mode == "eager"
    assert LatencySettings(8, 8, channels_last=True, compile=True).mode == "compiled+channels-last"


def test_isr_round_trip_and_errors() -> None:
    assert parse_isr("2,2,1,1/2,2,2") == ((2, 2, 1, 1), (2, 2, 2))
    assert parse_isr("/2,2,2") == (None, (2, 2, 2))
    assert parse_isr("2,2,1,1/") == ((2, 2, 1, 1), None)
    assert format_isr((2, 2, 1, 1), (2, 2, 2)) == "2,2,1,1/2,2,2"
    for bad in ("2,2,1,1", "a/b", "0,1/1", "1/1/1"):
        with pytest.raises(SettingsError, match="isr"):
            parse_isr(bad)
