"""``GET /api/learning_credentials/v1/verification-counts/<context_key>/``: a context's counts, for its staff."""

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from ...exceptions import AccessDenied
from ...identifiers import parse_context_key
from ...models import VerificationChannel
from ...selectors import user_is_context_staff, verification_counts_for_context
from ..schema import documented, errors
from .views import BaseView

CONFIGURATION_COUNTS = inline_serializer(
    name="ConfigurationVerificationCounts",
    many=True,
    fields={
        "type_key": serializers.CharField(help_text="The credential type's slug."),
        "credential_type": serializers.CharField(help_text="The credential type's name."),
        "enabled": serializers.BooleanField(),
        "total": serializers.IntegerField(help_text="Verifications of its credentials counted so far, all time."),
        "last_day": serializers.DateField(allow_null=True, help_text="The last day (UTC) with one; null if none."),
        "by_channel": serializers.DictField(
            child=serializers.IntegerField(),
            help_text=f"By channel: {', '.join(VerificationChannel.values)} (channels without one are left out).",
        ),
    },
)
CONTEXT_COUNTS = inline_serializer(
    name="ContextVerificationCounts",
    fields={"context_key": serializers.CharField(), "configurations": CONFIGURATION_COUNTS},
)


class VerificationCountsView(BaseView):
    """Totals per configuration of a context: platform staff and the context's course staff only."""

    permission_classes = [IsAuthenticated]

    @documented(
        summary="Verification counts of a context's credentials",
        description=(
            "How often the credentials of each configuration of the context were verified, by channel: counts "
            "only, nothing about who verified. Counts reach the database when the cache is flushed "
            "(every LEARNING_CREDENTIALS['VERIFICATION_COUNTS_FLUSH_SECONDS']), so the last minutes may be missing."
        ),
        responses={200: CONTEXT_COUNTS, **errors(400, 401, 403)},
    )
    def get(self, request, context_key: str):
        key = parse_context_key(context_key)
        if not user_is_context_staff(request.user, key):
            raise AccessDenied("Only staff of this course or learning path may read its verification counts.")
        rows = verification_counts_for_context(context_key=key)
        return Response(
            {
                "context_key": str(key),
                "configurations": [
                    {
                        "type_key": configuration.credential_type.slug,
                        "credential_type": configuration.credential_type.name,
                        "enabled": configuration.enabled,
                        "total": summary.total,
                        "last_day": summary.last_day,
                        "by_channel": summary.by_channel,
                    }
                    for configuration, summary in rows
                ],
            }
        )
