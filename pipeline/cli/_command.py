"""What a subcommand module provides."""

from __future__ import annotations

import argparse
from typing import Protocol


class Command(Protocol):
    HELP: str

    def configure(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace) -> int: ...
