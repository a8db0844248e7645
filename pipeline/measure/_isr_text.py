"""ISR settings as text (`"2,2,1,1/2,2,2"`) and the error of a bad measurement argument.

Torch-free on purpose: job specs validate their `search.isr` strings with these, and loading a spec
must not import torch.
"""

from __future__ import annotations


class SettingsError(ValueError):
    """A measurement argument holds a value the protocol cannot run with."""


def parse_isr(text: str) -> tuple[tuple[int, ...] | None, tuple[int, ...] | None]:
    """`"2,2,1,1/2,2,2"` → encoder and decoder ISR factors; an empty side means "leave as is"."""
    if not isinstance(text, str) or text.count("/") != 1:
        raise SettingsError(f"isr: expected 'ENC/DEC' such as '2,2,1,1/2,2,2' (either side may be empty), got {text!r}")

    def side(part: str, name: str) -> tuple[int, ...] | None:
        part = part.strip()
        if not part:
            return None
        try:
            factors = tuple(int(f) for f in part.split(","))
        except ValueError:
            raise SettingsError(f"isr: {name} factors must be comma-separated integers >= 1, got {part!r}") from None
        if any(f < 1 for f in factors):
            raise SettingsError(f"isr: {name} factors must be integers >= 1, got {part!r}")
        return factors

    encoder, decoder = text.split("/")
    return side(encoder, "encoder"), side(decoder, "decoder")


def format_isr(encoder: tuple[int, ...] | None, decoder: tuple[int, ...] | None) -> str:
    """The inverse of `parse_isr`."""
    return "/".join(",".join(str(f) for f in factors) if factors else "" for factors in (encoder, decoder))
