"""The errors and warnings ATLASS raises: each one says what went wrong, where, and what to do."""
from __future__ import annotations


class AtlassError(Exception):
    """Root of every error ATLASS raises on purpose (bad input, bad configuration, missing weights)."""


class ConfigError(AtlassError, ValueError):
    """A RunConfig field has a bad value or an unknown name; `field` names it."""

    def __init__(self, field: str, message: str):
        self.field, self.reason = field, message
        super().__init__(f"{field}: {message}")


class DatasetError(AtlassError):
    """The dataset folder cannot be used as it is (missing, empty, a class too small to split...)."""


class ImageReadError(AtlassError):
    """One image file cannot be decoded; `path` and `reason` say which and why."""

    def __init__(self, path, reason: str):
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class WeightsUnavailableError(AtlassError):
    """Pretrained ImageNet weights could not be downloaded or found in the local cache."""


class ResumeError(AtlassError):
    """An output folder holds a run that cannot be continued with the current settings."""


class AtlassWarning(UserWarning):
    """Root of the warnings ATLASS gives (tests turn them into errors unless they expect them)."""


class SkippedFilesWarning(AtlassWarning):
    """Some files of a dataset could not be read and were left out; the message lists each one."""
