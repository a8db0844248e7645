"""Facts every encoder and decoder config agrees on."""

from __future__ import annotations

# Every encoder of the zoo has four stages; decoders pick stages by index 0..3.
NUM_STAGES = 4
