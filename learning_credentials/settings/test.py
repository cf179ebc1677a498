"""Settings for edx-platform's own test runs."""

from .common import plugin_settings  # noqa: F401
