"""Signal receivers: thin, each hands over to a service.

Model signals keep each configuration's beat schedule in sync on every save path (admin,
API, shell, fixtures). Open edX event receivers are wired through ``plugin_app``.
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import CredentialConfiguration
from .services.configuration import configuration_schedule_delete, configuration_schedule_sync


@receiver(post_save, sender=CredentialConfiguration, dispatch_uid="learning_credentials.schedule_sync")
def sync_schedule(sender, instance: CredentialConfiguration, raw: bool = False, **kwargs) -> None:
    if not raw:  # loading fixtures: rows (and their periodic tasks) come as they are
        configuration_schedule_sync(configuration=instance)


@receiver(post_delete, sender=CredentialConfiguration, dispatch_uid="learning_credentials.schedule_delete")
def delete_schedule(sender, instance: CredentialConfiguration, **kwargs) -> None:
    configuration_schedule_delete(configuration=instance)
