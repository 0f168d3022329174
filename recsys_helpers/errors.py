"""Exceptions that say what went wrong and how to fix it.

Every error a reader can cause (a bad parameter, a missing file, an unknown name) raises one of
these, so a notebook stops with a message rather than a stack trace from deep inside pandas.
"""


class RecsysHelpersError(Exception):
    """Base class: catch this to handle any error raised on purpose by the helpers."""


class ParameterError(RecsysHelpersError, ValueError):
    """A notebook or function parameter has the wrong type or is out of range."""


class UnknownNameError(RecsysHelpersError, KeyError):
    """An unknown data set or model name; the message lists the known ones."""

    def __str__(self) -> str:  # KeyError would otherwise quote the whole message
        return str(self.args[0]) if self.args else ""


class DataError(RecsysHelpersError):
    """A data file is missing, truncated, corrupt or lacks expected columns."""


class ChecksumError(DataError):
    """A downloaded or mirrored file does not match its registered checksum."""


class ModelNotAvailableError(RecsysHelpersError):
    """A pretrained model cannot be loaded (unknown name, or no network to fetch it)."""
