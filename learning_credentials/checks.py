"""Django system checks: a missing adapter, unregistered function keys, invalid stored options."""

from django.core import checks
from django.db import DatabaseError

from .adapters import get_adapter
from .exceptions import ConfigurationError, InvalidOptions
from .registry import generation_functions, retrieval_functions, validate_options


@checks.register()
def check_adapter(app_configs=None, **kwargs):
    try:
        get_adapter()
    except ConfigurationError as exc:
        return [checks.Error(exc.message, id="learning_credentials.E001")]
    return []


@checks.register(checks.Tags.database)
def check_stored_functions(app_configs=None, **kwargs):
    """Report types whose function keys are not registered and configurations with invalid options."""
    from .models import CredentialConfiguration, CredentialType

    errors = []
    try:
        retrieval_functions.keys(), generation_functions.keys()
    except ConfigurationError as exc:  # e.g. two installed plugins register the same key
        return [checks.Error(exc.message, id="learning_credentials.E004")]
    try:
        types = list(CredentialType.objects.all())
        configurations = list(CredentialConfiguration.objects.select_related("credential_type"))
    except DatabaseError:  # tables not migrated yet
        return []
    in_use = {configuration.credential_type_id for configuration in configurations if configuration.enabled}
    for credential_type in types:
        for field, registry in (("retrieval_func", retrieval_functions), ("generation_func", generation_functions)):
            key = getattr(credential_type, field)
            if key not in registry.functions:
                # Only an enabled configuration can fail on it; a type kept for later (e.g. imported by the
                # switch-over with its configurations disabled) must not stop every migrate until then.
                enabled = credential_type.pk in in_use
                errors.append(
                    (checks.Error if enabled else checks.Warning)(
                        f"Credential type '{credential_type.slug}' uses the unregistered {field} '{key}'"
                        + ("." if enabled else "; no enabled configuration uses the type yet."),
                        hint=f"Registered: {', '.join(registry.keys()) or 'none'}. "
                        "Install the package that provides it or edit the type.",
                        obj=credential_type,
                        id="learning_credentials.E002" if enabled else "learning_credentials.W003",
                    )
                )
    for configuration in configurations:
        try:
            validate_options(configuration.credential_type.option_declarations(), configuration.options())
        except InvalidOptions as exc:
            errors.append(
                checks.Error(
                    f"Configuration '{configuration}' has invalid options: {exc.message}",
                    obj=configuration,
                    id="learning_credentials.E003",
                )
            )
        except ConfigurationError:
            pass  # reported on its type above
    return errors


def short_secret_warnings(*, setting: str, secret, check_id: str) -> list[checks.CheckMessage]:
    """A warning when a webhook's shared secret is set but short enough to make its signatures guessable."""
    from .services.webhooks import MIN_SECRET_LENGTH

    if secret and len(str(secret)) < MIN_SECRET_LENGTH:
        return [
            checks.Warning(
                f"{setting} is shorter than {MIN_SECRET_LENGTH} characters.",
                hint="Use a long random value, e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))'.",
                id=check_id,
            )
        ]
    return []


@checks.register(checks.Tags.security)
def check_refund_webhook_secret(app_configs=None, **kwargs):
    """A short shared secret makes the refund webhook's signatures guessable."""
    from . import conf

    return short_secret_warnings(
        setting="LEARNING_CREDENTIALS['REFUND_WEBHOOK_SECRET']",
        secret=conf.get("REFUND_WEBHOOK_SECRET"),
        check_id="learning_credentials.W001",
    )


@checks.register()
def check_openedx_plugin(app_configs=None, **kwargs):
    """The open-craft plugin's database or files: our migrations must wait for the switch-over.

    Not tagged ``database`` so that a plain ``check`` tells too; a database that cannot be read says nothing.
    """
    from .switch_over.detection import (
        COMMAND,
        PLUGIN_DISTRIBUTION,
        plugin_database_or_none,
        plugin_files_installed,
        stop_message,
    )

    found, messages = plugin_database_or_none(), []
    if found is not None and found.found:
        messages.append(
            checks.Error(
                stop_message(found),
                hint=f"docs/switch_over.rst: back up, then 'manage.py {COMMAND}' and '... --apply'.",
                id="learning_credentials.E005",
            )
        )
    files = plugin_files_installed()
    if files:
        messages.append(
            checks.Warning(
                f"The open-craft plugin's distribution ({PLUGIN_DISTRIBUTION}) is installed as well and its files "
                f"({', '.join(files[:3])}{', ...' if len(files) > 3 else ''}) share our learning_credentials folder: "
                "uninstalling either distribution deletes files the other needs.",
                hint=f"pip uninstall {PLUGIN_DISTRIBUTION}, then pip install --force-reinstall "
                "trusted-learning-credentials.",
                id="learning_credentials.W002",
            )
        )
    return messages


# Cache backends (by class name: Django's and django-redis's) whose increments are atomic and shared.
SHARED_COUNTER_CACHES = ("RedisCache", "PyMemcacheCache", "PyLibMCCache", "MemcachedCache")


@checks.register(checks.Tags.caches)
def check_verification_counts(app_configs=None, **kwargs):
    """Verification counts need a shared cache with atomic increments, and buckets that divide a day."""
    from django.conf import settings

    from . import conf

    if not conf.get("VERIFICATION_COUNTS_ENABLED"):
        return []
    messages = []
    seconds = conf.get("VERIFICATION_COUNTS_FLUSH_SECONDS")
    if not isinstance(seconds, int) or not 10 <= seconds <= 3600 or 86400 % seconds:
        messages.append(
            checks.Error(
                "LEARNING_CREDENTIALS['VERIFICATION_COUNTS_FLUSH_SECONDS'] must be a whole number of seconds "
                "between 10 and 3600 that divides a day (e.g. 60, 300, 900, 3600).",
                id="learning_credentials.E006",
            )
        )
    alias = conf.get("VERIFICATION_COUNTS_CACHE")
    backend = str(settings.CACHES.get(alias, {}).get("BACKEND", ""))
    if not backend:
        messages.append(
            checks.Error(
                f"LEARNING_CREDENTIALS['VERIFICATION_COUNTS_CACHE'] names the cache '{alias}', "
                "which settings.CACHES does not define.",
                id="learning_credentials.E007",
            )
        )
    elif not backend.endswith(SHARED_COUNTER_CACHES) and not getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
        # Eager Celery (a sandbox, tests) runs every task in the process that counts: nothing to share.
        messages.append(
            checks.Warning(
                f"Verification counts are incremented in the cache '{alias}' ({backend.rsplit('.', 1)[-1]}), "
                "which is not shared by all processes with atomic increments: the flush in the Celery worker "
                "may see none of the counts the web processes make.",
                hint="Use Redis or Memcached for that cache, or set VERIFICATION_COUNTS_ENABLED to False.",
                id="learning_credentials.W004",
            )
        )
    return messages
