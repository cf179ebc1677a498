"""Access to the configured host adapter."""

from functools import lru_cache

from django.utils.module_loading import import_string

from .. import conf
from ..exceptions import ConfigurationError
from .base import HostAdapter


@lru_cache(maxsize=4)
def _load(path: str) -> HostAdapter:
    try:
        adapter = import_string(path)()
    except ImportError as exc:
        raise ConfigurationError(f"LEARNING_CREDENTIALS['ADAPTER'] = {path!r} cannot be imported: {exc}") from exc
    if not isinstance(adapter, HostAdapter):
        methods = [name for name, value in vars(HostAdapter).items() if callable(value) and not name.startswith("_")]
        missing = ", ".join(name for name in methods if not callable(getattr(adapter, name, None)))
        raise ConfigurationError(
            f"{path} does not implement learning_credentials.adapters.base.HostAdapter; it lacks: {missing}."
        )
    return adapter


def get_adapter() -> HostAdapter:
    """Return the host adapter named by LEARNING_CREDENTIALS['ADAPTER']."""
    path = conf.get("ADAPTER")
    if not path:
        raise ConfigurationError("Set LEARNING_CREDENTIALS['ADAPTER'] to the dotted path of a host adapter class.")
    return _load(path)
