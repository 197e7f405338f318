"""The installed project's version, shown in OpenAPI documents and logs."""

from importlib.metadata import PackageNotFoundError, version

__all__ = ("VERSION",)

try:
    VERSION = version("vmeste")
except PackageNotFoundError:  # running from a source tree that was never installed
    VERSION = "0.0.0"
