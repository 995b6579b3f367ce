"""nplhub: an open platform for the disposal of banks' non-performing assets."""

__version__ = "0.1.0"
