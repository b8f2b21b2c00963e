"""Error types that map onto the documented exit codes (see docs/design.md)."""

from __future__ import annotations


class ModelcensusError(Exception):
    """Base class. ``exit_code`` is what the CLI returns for it."""

    exit_code = 2


class InputError(ModelcensusError):
    """Bad input or usage: the message names the input (exit 2)."""


class NotFoundError(InputError):
    """A model, snapshot or organisation that the store or registry does not hold."""


class CheckFailed(ModelcensusError):
    """A check or policy verdict failed (exit 1)."""

    exit_code = 1
