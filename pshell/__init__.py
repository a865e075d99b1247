"""pshell: a PowerShell-like shell whose heart is background jobs on remote computers over SSH."""

__version__ = "0.1.0"
__all__ = ["__version__"]
