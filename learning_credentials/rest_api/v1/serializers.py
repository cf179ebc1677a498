"""Output serializers of the v1 API. Public ones never carry email, username, internal ids or staff notes."""

import uuid

from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from ...adapters import get_adapter
from ...adapters.base import Site
from ...rendering import local_date
from ...selectors import (
    PUBLIC_STATES,
    PUBLIC_STATUSES,
    context_sites,
    credential_public_status,
    public_code,
    public_identity,
    verify_url,
)


class SiteMixin:
    """Each credential's site, read once per context for a whole list: the child serializers share the
    root's context, where a view may also put ``sites`` it resolved for the page in one read."""

    def site(self, credential) -> Site:
        sites = self.context.setdefault("sites", {})
        key = credential.configuration.learning_context_key
        if key not in sites:
            sites.update(context_sites(context_keys=[key]))
        return sites[key]


class PublicStatusSerializer(serializers.Serializer):
    """How a credential stands to a third party (a selectors.PublicStatus)."""

    status = serializers.ChoiceField(choices=PUBLIC_STATES)
    revoked_at = serializers.DateTimeField(allow_null=True)
    suspended_at = serializers.DateTimeField(allow_null=True)
    expires_at = serializers.DateTimeField(
        allow_null=True, help_text="When it expires (or expired); null: never. Expired is a state of its own."
    )
    reason = serializers.CharField(allow_null=True)
    reason_label = serializers.CharField(allow_null=True)
    superseded_by = serializers.URLField(allow_null=True, source="superseded_by_url")


class CredentialBaseSerializer(SiteMixin, serializers.Serializer):
    """Fields the public and the owner see alike."""

    verify_uuid = serializers.SerializerMethodField(
        help_text="The identifier of its public page (for a certification: the certification's, stable over reissues)."
    )
    verification_code = serializers.SerializerMethodField()
    verify_url = serializers.SerializerMethodField()
    credential_type = serializers.CharField(source="type_name")
    context_key = serializers.CharField(source="configuration.learning_context_key")
    context_name = serializers.CharField()
    score = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)

    def get_verify_uuid(self, credential) -> uuid.UUID:
        return public_identity(credential).verify_uuid

    def get_verification_code(self, credential) -> str:
        return public_code(credential)

    def get_verify_url(self, credential) -> str | None:
        return verify_url(credential, site=self.site(credential)) if credential.status in PUBLIC_STATUSES else None


class MetadataSerializer(CredentialBaseSerializer):
    """Public metadata of an AVAILABLE or INVALIDATED credential; status fields at the top level."""

    holder_name = serializers.CharField(source="learner_name")
    issuer = serializers.SerializerMethodField()
    issue_date = serializers.SerializerMethodField()

    def get_issuer(self, credential) -> str:
        return get_adapter().get_organization_name(credential.configuration.learning_context_key)

    def get_issue_date(self, credential) -> str:
        """The day printed on the credential: in its site's time zone."""
        return local_date(credential.created, self.site(credential).time_zone).isoformat()

    def to_representation(self, credential):
        public = credential_public_status(credential, site=self.site(credential))
        return {**super().to_representation(credential), **PublicStatusSerializer(public).data}


@extend_schema_serializer(component_name="Metadata")
class MetadataSchemaSerializer(MetadataSerializer, PublicStatusSerializer):
    """What MetadataSerializer returns, for the API schema: its own fields and the public status's."""


class CredentialSerializer(CredentialBaseSerializer):
    """A credential as its owner and staff see it (also the status URL of queued work)."""

    uuid = serializers.UUIDField()
    status = serializers.CharField()
    username = serializers.CharField(source="user.username", allow_null=True, default=None)
    learner_name = serializers.CharField()
    type_key = serializers.CharField(source="configuration.credential_type.slug")
    created = serializers.DateTimeField()
    modified = serializers.DateTimeField()
    invalidated_at = serializers.DateTimeField(allow_null=True)
    invalidation_reason = serializers.SerializerMethodField()
    public_status = serializers.SerializerMethodField()

    def get_invalidation_reason(self, credential) -> str | None:
        return credential.invalidation_reason or None

    @extend_schema_field(PublicStatusSerializer(allow_null=True))
    def get_public_status(self, credential) -> dict | None:
        if credential.status not in PUBLIC_STATUSES:
            return None
        return PublicStatusSerializer(credential_public_status(credential, site=self.site(credential))).data


class HeldCredentialSerializer(SiteMixin, serializers.Serializer):
    """The learner's credential in an eligibility listing; its public link only once it is public."""

    uuid = serializers.UUIDField()
    status = serializers.CharField()
    verify_url = serializers.SerializerMethodField()
    created = serializers.DateTimeField()

    def get_verify_url(self, credential) -> str | None:
        return verify_url(credential, site=self.site(credential)) if credential.status in PUBLIC_STATUSES else None


class EligibilityEntrySerializer(serializers.Serializer):
    """One enabled credential type of the context (a selectors.EligibilityEntry)."""

    type_key = serializers.CharField(source="configuration.credential_type.slug")
    type_name = serializers.CharField(source="configuration.credential_type.name")
    eligible = serializers.BooleanField()
    score = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    progress = serializers.JSONField(allow_null=True)
    credential = HeldCredentialSerializer(allow_null=True)
    error = serializers.CharField(allow_null=True)


class EligibilityListingSerializer(serializers.Serializer):
    """A learner's standing in a context (a selectors.EligibilityListing)."""

    context_key = serializers.CharField()
    context_name = serializers.CharField()
    username = serializers.CharField(source="learner.get_username")
    enrolled = serializers.BooleanField()
    issuance_enabled = serializers.BooleanField()
    credential_types = EligibilityEntrySerializer(source="entries", many=True)


class AuditEntrySerializer(serializers.Serializer):
    """An audit event as the credential's holder sees it (a selectors.AuditEntry): no identities."""

    id = serializers.IntegerField()
    kind = serializers.CharField()
    from_status = serializers.CharField(allow_null=True)
    to_status = serializers.CharField(allow_null=True)
    source = serializers.CharField()
    created = serializers.DateTimeField()
    actor_role = serializers.ChoiceField(choices=["learner", "staff", "system"])
    reason = serializers.CharField(allow_null=True)
    details = serializers.JSONField()


class StaffAuditEntrySerializer(AuditEntrySerializer):
    """An audit event as staff see it: with the acting user's username (absent for the holder)."""

    actor = serializers.CharField(allow_null=True, required=False)
