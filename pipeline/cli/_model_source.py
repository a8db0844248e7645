"""Where a command's model comes from: a bundle directory, or EXPERIMENT_DIR:ROW_ID (bundled on the fly)."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path

from pipeline.model_configs import ConfigError

BUNDLE_OR_ROW_HELP = ("a bundle directory (segnas model get), or EXPERIMENT_DIR:ROW_ID of a results row "
                      "(EXPERIMENT_DIR may be s3://bucket/prefix)")


@contextlib.contextmanager
def bundle_directory(text: str) -> Iterator[Path]:
    """The bundle folder `text` names, or a temporary bundle of the row `EXPERIMENT_DIR:ROW_ID`."""
    from pipeline.models import BUNDLE_FILE

    path = Path(text)
    if (path / BUNDLE_FILE).is_file():
        yield path
        return
    experiment, sep, row_id = text.rpartition(":")
    if sep and _has_results(experiment):
        from pipeline.deploy import bundle_from_row

        with tempfile.TemporaryDirectory(prefix="segnas-bundle-") as directory:
            yield bundle_from_row(experiment, row_id, directory)
        return
    raise ConfigError(f"{text!r}: expected {BUNDLE_OR_ROW_HELP}")


def _has_results(experiment: str) -> bool:
    """Whether `experiment` (a directory or an s3:// prefix) holds a results file."""
    from pipeline.results_schema import RESULTS_FILE
    from pipeline.storage import is_uri, resolve_location

    if not is_uri(experiment):
        return bool(experiment) and (Path(experiment) / RESULTS_FILE).is_file()
    location = resolve_location(experiment, field="EXPERIMENT_DIR").join(RESULTS_FILE)
    try:
        return location.is_file()
    except OSError as error:
        raise ConfigError(f"{location.uri}: cannot be read ({error})") from None
