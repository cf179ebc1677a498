"""Output serializers of the v1 API. Public ones never carry email, username, internal ids or staff notes."""

from rest_framework import serializers

from ...adapters import get_adapter
from ...identifiers import format_code
from ...selectors import PUBLIC_STATUSES, credential_public_status, verify_url


class PublicStatusFields(serializers.Serializer):
    """The status a third party sees: valid, revoked (date, reason) or superseded (link)."""

    def to_representation(self, credential):
        public = credential_public_status(credential)
        return {
            "status": public.status,
            "revoked_at": public.revoked_at.isoformat() if public.revoked_at else None,
            "reason": public.reason or None,
            "reason_label": public.reason_label or None,
            "superseded_by": public.superseded_by_url,
        }


class MetadataSerializer(serializers.Serializer):
    """Public metadata of an AVAILABLE or INVALIDATED credential."""

    def to_representation(self, credential):
        context_key = credential.configuration.learning_context_key
        return {
            "verify_uuid": str(credential.verify_uuid),
            "verification_code": format_code(credential.verification_code),
            "verify_url": verify_url(credential),
            "holder_name": credential.learner_name,
            "credential_type": credential.type_name,
            "context_key": str(context_key),
            "context_name": credential.context_name,
            "issuer": get_adapter().get_organization_name(context_key),
            "issue_date": credential.created.date().isoformat(),
            "score": None if credential.score is None else str(credential.score),
            **PublicStatusFields().to_representation(credential),
        }


class CredentialSerializer(serializers.Serializer):
    """A credential as its owner and staff see it (also the status URL of queued work)."""

    def to_representation(self, credential):
        public = credential.status in PUBLIC_STATUSES
        return {
            "uuid": str(credential.uuid),
            "verify_uuid": str(credential.verify_uuid),
            "verification_code": format_code(credential.verification_code),
            "verify_url": verify_url(credential) if public else None,
            "status": credential.status,
            "username": credential.user.get_username(),
            "learner_name": credential.learner_name,
            "credential_type": credential.type_name,
            "type_key": credential.configuration.credential_type.slug,
            "context_key": str(credential.configuration.learning_context_key),
            "context_name": credential.context_name,
            "score": None if credential.score is None else str(credential.score),
            "created": credential.created.isoformat(),
            "modified": credential.modified.isoformat(),
            "invalidated_at": credential.invalidated_at.isoformat() if credential.invalidated_at else None,
            "invalidation_reason": credential.invalidation_reason or None,
            "public_status": PublicStatusFields().to_representation(credential) if public else None,
        }
