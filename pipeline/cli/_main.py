"""Entry point of the `segnas` console script.

Every expected error (a bad spec, dataset, checkpoint or resource request, an unreachable
cluster, a storage fault) ends the command with one line, `segnas <cmd>: <file or field>: <what is
wrong>`, and exit code 2. Anything else is a bug: one line saying so, and its traceback only with
`--debug`.
"""

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
    weights_cmd,
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
    "weights": weights_cmd,
    "stop": submit_cmd.STOP,
}
EXIT_USAGE = 2  # bad input: spec, data, storage, resources, cluster
EXIT_BUG = 70  # an internal error (EX_SOFTWARE)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="segnas", description="Segmentation architecture search on Ray.")
    parser.add_argument("--debug", action="store_true", help="show the traceback of an internal error")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, command in COMMANDS.items():
        command_parser = sub.add_parser(name, help=command.HELP, description=command.HELP)
        command_parser.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                                    help="show the traceback of an internal error")
        command.configure(command_parser)
    return parser


def expected_error_line(error: BaseException) -> str | None:
    """`<file or field>: <what is wrong>` for an expected error; None for a bug."""
    from pipeline.data import DatasetConfigError, DatasetError

    if isinstance(error, (ConfigError, DatasetError, DatasetConfigError)):
        return str(error)
    if isinstance(error, OSError):
        where = error.filename or ""
        what = error.strerror or str(error)
        return f"{where}: {what}" if where else what
    return None


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command].run(args)
    except KeyboardInterrupt:
        print(f"segnas {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as error:
        line = expected_error_line(error)
        if line is not None and not args.debug:
            hint = " (write the report elsewhere with -o DIR)" if args.command == "report" and isinstance(error, OSError) else ""
            print(f"segnas {args.command}: {line}{hint}", file=sys.stderr)
            return EXIT_USAGE
        if args.debug:
            raise
        print(f"segnas {args.command}: internal error: {type(error).__name__}: {error} "
              "(run with --debug for the traceback)", file=sys.stderr)
        return EXIT_BUG
