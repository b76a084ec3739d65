"""The exceptions accelsim raises on bad input.

Every error a user can cause is an :class:`AccelsimError`; the command line turns it into one line on
stderr and exit code 3 (bad input).  A broken invariant of a model (e.g. MAC conservation) is a
:class:`ConservationError`, raised whatever Python's ``-O`` flag says, exit code 1 (a bug, not bad input).
"""


class AccelsimError(Exception):
    """Base class of every error caused by user input (a trace, a config, a file)."""

    exit_code = 3


class TraceError(AccelsimError, ValueError):
    """A trace file or an in-memory trace is malformed (names the file, layer and field)."""


class ConfigError(AccelsimError, ValueError):
    """A configuration, preset, energy table or command option is invalid (names the key)."""


class FormatError(AccelsimError, ValueError):
    """A compressed stream or an input array cannot be encoded or decoded."""


class UsageError(AccelsimError, ValueError):
    """A command option that is malformed in itself (e.g. an address that is not one): exit code 2."""

    exit_code = 2


class ConservationError(AccelsimError, RuntimeError):
    """A model broke MAC conservation (executed + gated + skipped + reused != dense): a bug in the model."""

    exit_code = 1
