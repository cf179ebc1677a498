"""Production LMS settings: the operator's LEARNING_CREDENTIALS from the YAML config (ENV_TOKENS) win."""

from . import common


def plugin_settings(settings) -> None:
    """Re-apply the defaults (the YAML may have replaced the whole dict), then the YAML's keys over them."""
    common.plugin_settings(settings)
    env_tokens = getattr(settings, "ENV_TOKENS", None)
    if env_tokens:
        settings.LEARNING_CREDENTIALS = {
            **settings.LEARNING_CREDENTIALS,
            **env_tokens.get("LEARNING_CREDENTIALS", {}),
        }
