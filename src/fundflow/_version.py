"""The version of fundflow (one place: the package and the manifest read it)."""

__version__ = "0.3.0"
