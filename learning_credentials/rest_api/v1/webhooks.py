"""``POST /api/learning_credentials/v1/webhooks/refund/``: the host's commerce system reports a refund.

Server to server: authenticated by the HMAC signature of each delivery, never by a session, so
there is no CSRF check. The rules are in ``services.refunds``; what every signed webhook's view
shares (reading the body, the headers, the transaction, the log of refusals) is SignedWebhookView.
"""

import logging

from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from ...exceptions import BadRequest, PayloadTooLarge, WebhookPayloadInvalid, WebhookPayloadTooLarge
from ...observability import log_activity
from ...services.refunds import refund_receive, webhook_secret
from ...services.webhooks import MAX_BODY_BYTES
from ..schema import documented, errors
from .views import BaseView, body_read

TIMESTAMP_HEADER = "X-Learning-Credentials-Timestamp"
SIGNATURE_HEADER = "X-Learning-Credentials-Signature"
SIGNATURE_HEADERS = [
    OpenApiParameter(TIMESTAMP_HEADER, OpenApiTypes.STR, OpenApiParameter.HEADER, required=True),
    OpenApiParameter(
        SIGNATURE_HEADER, OpenApiTypes.STR, OpenApiParameter.HEADER, required=True, description="sha256=<hex>"
    ),
]


def read_body(request) -> bytes:
    """The raw body, at most MAX_BODY_BYTES, refused with the webhooks' own errors."""
    try:
        return body_read(request, limit=MAX_BODY_BYTES)
    except PayloadTooLarge as exc:
        raise WebhookPayloadTooLarge(exc.message) from None
    except BadRequest:
        raise WebhookPayloadInvalid(errors={"body": ["Malformed Content-Length."]}) from None


class SignedWebhookView(BaseView):
    """A webhook authenticated by the signature of each delivery; refusals are logged as ``refused_activity``."""

    authentication_classes = ()
    permission_classes = (AllowAny,)
    refused_activity = ""

    @classmethod
    def as_view(cls, **initkwargs):
        """Outside ATOMIC_REQUESTS (Open edX turns it on): the service's own transaction must be the
        outermost one, so that a duplicate losing the race sees the winner's committed record."""
        return transaction.non_atomic_requests(super().as_view(**initkwargs))

    @staticmethod
    def signed(request) -> dict:
        """The service's arguments of a delivery: its raw body and its two signature headers."""
        return {
            "raw_body": read_body(request),
            "timestamp": request.headers.get(TIMESTAMP_HEADER),
            "signature": request.headers.get(SIGNATURE_HEADER),
        }

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        if isinstance(exc, WebhookPayloadInvalid) and exc.errors:
            response.data["errors"] = exc.errors
        if response.status_code >= 400:
            log_activity(
                self.refused_activity,
                level=logging.WARNING,
                status=response.status_code,
                code=getattr(exc, "code", None),
                remote_addr=self.request.META.get("REMOTE_ADDR"),
            )
        return response


class RefundWebhookView(SignedWebhookView):
    """200 with ``{"status": "revoked" | "partial" | "ignored" | "duplicate"}``; 401, 400, 413 or 503 when refused."""

    refused_activity = "refund_refused"

    @documented(
        summary="Report a refund (signed webhook)",
        description=(
            "The raw JSON body is signed with HMAC-SHA256 over ``<timestamp>.<body>`` with the shared "
            "secret REFUND_WEBHOOK_SECRET; see the refund webhook how-to for the payload."
        ),
        auth=[],
        request={"application/json": OpenApiTypes.OBJECT},
        parameters=SIGNATURE_HEADERS,
        responses={
            200: inline_serializer(
                name="RefundOutcome",
                fields={
                    "status": serializers.ChoiceField(choices=["revoked", "partial", "ignored", "duplicate"]),
                    "credentials": serializers.ListField(
                        child=serializers.CharField(), required=False, help_text="The revoked credentials."
                    ),
                },
            ),
            **errors(400, 401, 413, 503),
        },
    )
    def post(self, request):
        webhook_secret()  # 503 before reading anything when the webhook is off
        return Response(refund_receive(**self.signed(request)).as_dict())
