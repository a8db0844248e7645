"""`segnas` command line: one module per subcommand, listed in `_main.COMMANDS`."""

from pipeline.cli._main import main

__all__ = ["main"]
