"""Production settings: operators configure LEARNING_CREDENTIALS in their YAML (Tutor: a plugin patch)."""

from .common import plugin_settings as common_plugin_settings


def plugin_settings(settings) -> None:
    common_plugin_settings(settings)
    settings.LEARNING_CREDENTIALS.update(getattr(settings, "ENV_TOKENS", {}).get("LEARNING_CREDENTIALS", {}))
