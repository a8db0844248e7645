"""Where a command's model comes from: a bundle directory, or EXPERIMENT_DIR:ROW_ID (bundled on the fly)."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path

from pipeline.model_configs import ConfigError

BUNDLE_OR_ROW_HELP = "a bundle directory (segnas model get), or EXPERIMENT_DIR:ROW_ID of a results row"


@contextlib.contextmanager
def bundle_directory(text: str) -> Iterator[Path]:
    """The bundle folder `text` names, or a temporary bundle of the row `EXPERIMENT_DIR:ROW_ID`."""
    from pipeline.models import BUNDLE_FILE
    from pipeline.results_schema import RESULTS_FILE

    path = Path(text)
    if (path / BUNDLE_FILE).is_file():
        yield path
        return
    experiment, sep, row_id = text.rpartition(":")
    if sep and (Path(experiment) / RESULTS_FILE).is_file():
        from pipeline.deploy import bundle_from_row

        with tempfile.TemporaryDirectory(prefix="segnas-bundle-") as directory:
            yield bundle_from_row(experiment, row_id, directory)
        return
    raise ConfigError(f"{text!r}: expected {BUNDLE_OR_ROW_HELP}")
