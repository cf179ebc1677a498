"""``POST /api/learning_credentials/v1/open-badges/verify/``: anyone checks an Open Badges 3.0 credential.

Public and unauthenticated (so no CSRF check: it changes nothing), rate-limited by the "verify"
scope, the body capped at MAX_BYTES before it is read. The checks are in ``verification``.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from ...rest_api.schema import documented, errors
from ...rest_api.v1.views import BaseView, body_read
from ...throttling import VerifierThrottle
from ..verification import CHECKS, JSON_LD, JWT, MAX_BYTES, credential_verify

RESULTS = ["pass", "fail", "not_checked"]
VERIFICATION = inline_serializer(
    name="OpenBadgeVerification",
    fields={
        "verdict": serializers.ChoiceField(
            choices=["valid", "invalid", "incomplete"],
            help_text="valid: every check passed; invalid: one failed; incomplete: none failed, some not checked.",
        ),
        "format": serializers.ChoiceField(choices=[JSON_LD, JWT], help_text="How the credential was sent."),
        "checks": inline_serializer(
            name="OpenBadgeCheck",
            many=True,
            fields={
                "check": serializers.ChoiceField(choices=list(CHECKS)),
                "result": serializers.ChoiceField(
                    choices=RESULTS, help_text="not_checked: a status list of another host, never fetched."
                ),
                "reason": serializers.CharField(help_text="Why, in words for people."),
            },
        ),
        "credential": inline_serializer(
            name="OpenBadgeSummary",
            allow_null=True,
            help_text="What the credential says (whether or not its checks passed); null when it cannot be read.",
            fields={
                "id": serializers.CharField(allow_null=True),
                "issuer_id": serializers.CharField(allow_null=True),
                "issuer_name": serializers.CharField(allow_null=True),
                "holder_name": serializers.CharField(allow_null=True),
                "achievement_name": serializers.CharField(allow_null=True),
                "valid_from": serializers.DateTimeField(allow_null=True),
                "valid_until": serializers.DateTimeField(allow_null=True),
            },
        ),
    },
)


class VerifyView(BaseView):
    """POST the credential (its JSON-LD, or its compact VC-JWT): 200 with every check; 400 for anything else."""

    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = (VerifierThrottle,)

    @documented(
        summary="Verify an Open Badges 3.0 credential",
        description=(
            "The body is the credential: an OpenBadgeCredential as JSON-LD with its eddsa-rdfc-2022 proof, or "
            f"its compact VC-JWT (ES256 or EdDSA), at most {MAX_BYTES // 1024} KB. Keys and status lists are "
            "read from this site's own records, or from a did:key or did:jwk identifier; nothing is fetched "
            "from another host."
        ),
        auth=[],
        request={
            "application/json": OpenApiTypes.OBJECT,
            "application/vc+ld+json": OpenApiTypes.OBJECT,
            "application/vc+jwt": OpenApiTypes.STR,
            "text/plain": OpenApiTypes.STR,
        },
        responses={
            200: OpenApiResponse(VERIFICATION, description="Every check, in words; the same shape for both forms."),
            **errors(
                400,
                413,
                429,
                e400="Neither a JSON object nor a compact JWT, not UTF-8, or JSON with a syntax error "
                "(its line and column named).",
            ),
        },
    )
    def post(self, request):
        return Response(credential_verify(data=body_read(request, limit=MAX_BYTES)).as_json())
