"""`segnas models`: the presets with their encoder, decoder, class count and parameter count."""

from __future__ import annotations

import argparse
import json

HELP = "List the model presets with encoder, decoder and parameter count."


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON object per preset instead of a table")


def run(args: argparse.Namespace) -> int:
    from pipeline.models import PRESETS, build_model, count_parameters

    rows: list[dict[str, str | int]] = []
    for name, config in PRESETS.items():
        rows.append(
            {
                "preset": name,
                "encoder": config.encoder_name,
                "decoder": config.decoder_name,
                "num_classes": config.num_classes,
                "params": count_parameters(build_model(config)),
            }
        )
    if args.json:
        for row in rows:
            print(json.dumps(row))
        return 0
    header = f"{'preset':<14} {'encoder':<16} {'decoder':<12} {'classes':>7} {'params (M)':>10}"
    print(header)
    print("-" * len(header))
    for r in rows:
        print(f"{r['preset']:<14} {r['encoder']:<16} {r['decoder']:<12} {r['num_classes']:>7} {int(r['params']) / 1e6:>10.2f}")
    return 0
