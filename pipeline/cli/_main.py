"""Entry point of the `segnas` console script."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from pipeline.cli import (
    data_cmd,
    export_cmd,
    model_cmd,
    models_cmd,
    predict_cmd,
    profile_cmd,
    report_cmd,
    search_cmd,
    submit_cmd,
    train_cmd,
)
from pipeline.cli._command import Command
from pipeline.model_configs import ConfigError

# Subcommand name → its module; each module provides `configure(parser)` and `run(args) -> int`.
COMMANDS: dict[str, Command] = {
    "models": models_cmd,
    "model": model_cmd,
    "export": export_cmd,
    "predict": predict_cmd,
    "profile": profile_cmd,
    "data": data_cmd,
    "report": report_cmd,
    "train": train_cmd,
    "search": search_cmd,
    "submit": submit_cmd,
    "status": submit_cmd.STATUS,
    "logs": submit_cmd.LOGS,
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="segnas", description="Segmentation architecture search on Ray.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, command in COMMANDS.items():
        command.configure(sub.add_parser(name, help=command.HELP, description=command.HELP))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command].run(args)
    except ConfigError as error:
        print(f"segnas {args.command}: {error}", file=sys.stderr)
        return 2
