"""The one error type of the storage package."""

from __future__ import annotations

from pipeline.model_configs import ConfigError


class StorageError(ConfigError):
    """A storage path, URI or setting that cannot be used; the message names it and what was expected."""
