"""Settings for the LMS's own test runs: the common ones."""

from .common import plugin_settings

__all__ = ["plugin_settings"]
