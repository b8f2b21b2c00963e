"""modelcensus: a census of open-weight AI.

The command line is a thin skin over this library; :mod:`modelcensus.api` holds
one documented function per command.
"""

__version__ = "0.1.0"
