"""Certification API views: thin; the rules are in the exams' services and selectors."""

from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from ...identifiers import parse_context_key
from ...models import CredentialEvent
from ...rest_api.schema import documented, errors, query
from ...rest_api.v1.views import BaseView
from ...selectors import learner_for_viewer
from ..selectors import certification_settings_get, certification_status
from ..services import entitlement_for_premium, entitlement_redeem_points
from .serializers import CertificationStatusSerializer

USERNAME = query("username", "Another learner: platform staff, or staff of this course.")
REFUSAL = "You may only read and change your own certification."


def _learner(request, context_key):
    return learner_for_viewer(
        viewer=request.user, username=request.query_params.get("username"), context_key=context_key, refusal=REFUSAL
    )


def _status_response(learner, context_key, *, status: int = 200) -> Response:
    return Response(
        CertificationStatusSerializer(certification_status(user=learner, context_key=context_key)).data, status=status
    )


class CertificationStatusView(BaseView):
    """GET: what the learner may do about the course's certification; premium access is turned into an entitlement."""

    permission_classes = [IsAuthenticated]

    @documented(
        summary="A learner's certification status in a course",
        operation_id="certification_status",
        parameters=[USERNAME],
        responses={200: CertificationStatusSerializer, **errors(400, 401, 403, 404)},
    )
    def get(self, request, context_key: str):
        key = parse_context_key(context_key)
        learner = _learner(request, key)
        certification = certification_settings_get(context_key=key)
        if certification is not None:
            entitlement_for_premium(
                user_id=learner.pk, certification=certification, activity_source=CredentialEvent.Source.API
            )
        return _status_response(learner, key)


class RedeemPointsView(BaseView):
    """POST: redeem the course's points price for certification; already entitled spends nothing (200)."""

    permission_classes = [IsAuthenticated]

    @documented(
        summary="Redeem points for certification",
        operation_id="certification_redeem_points",
        request=None,
        parameters=[USERNAME],
        responses={
            201: CertificationStatusSerializer,
            200: CertificationStatusSerializer,
            **errors(
                400, 401, 403, 404, 409, e409="certification_unavailable, points_not_accepted or insufficient_points."
            ),
        },
    )
    def post(self, request, context_key: str):
        key = parse_context_key(context_key)
        learner = _learner(request, key)
        _entitlement, created = entitlement_redeem_points(
            user_id=learner.pk, context_key=key, activity_source=CredentialEvent.Source.API
        )
        return _status_response(learner, key, status=201 if created else 200)
