"""stkg: a knowledge graph of AI social-technical systems for AI governance."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("stkg")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
