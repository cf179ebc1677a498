"""Credential assets: replacing a file without pulling it from under a credential still to be rendered."""

from functools import partial

from django.core.files import File
from django.db import transaction

from ..exceptions import ConfigurationError
from ..lifecycle import Status
from ..models import CredentialAsset, CredentialConfiguration
from ..registry import asset_references

# Credentials that will be rendered again: in progress, or failed and waiting for a retry.
PENDING_STATUSES = (Status.GENERATING, Status.ERROR)


def asset_file_needed(*, asset: CredentialAsset) -> bool:
    """Whether a pending credential's configuration refers to the asset, so rendering it again needs the file.

    Issued artifacts are stored on their own and never need a template again. A configuration
    whose functions cannot be resolved counts as referring to it: keeping a file is harmless,
    deleting one that is still needed breaks generation.
    """
    configurations = (
        CredentialConfiguration.objects.filter(credentials__status__in=PENDING_STATUSES)
        .select_related("credential_type")
        .distinct()
    )
    for configuration in configurations:
        try:
            references = asset_references(configuration.credential_type.option_declarations(), configuration.options())
        except (ConfigurationError, ValueError, TypeError, KeyError):  # unreadable options: keep the file
            return True
        if (asset.slug, asset.kind) in references.values():
            return True
    return False


def asset_replace_file(*, asset: CredentialAsset, new_file: File) -> CredentialAsset:
    """Save ``asset`` with ``new_file``; the old file (and its page-sized copy) is deleted after commit unless a
    pending credential needs it."""
    with transaction.atomic():
        stored = CredentialAsset.objects.select_for_update().get(pk=asset.pk)
        old = [(field.name, field.storage) for field in (stored.file, stored.page_copy) if field]
        asset.file = new_file
        asset.save()
        if old and old[0][0] != asset.file.name and not asset_file_needed(asset=stored):
            for name, storage in old:
                transaction.on_commit(partial(storage.delete, name))
    return asset
