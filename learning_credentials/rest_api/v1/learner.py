"""Learner-facing v1 views: eligibility, on-demand issuance, name-change reissue, own audit trail. Thin."""

from django.db import transaction
from django.urls import reverse
from django.utils.decorators import method_decorator
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from ...exceptions import LearnerNotEligible, ReissueTooSoon
from ...identifiers import parse_context_key
from ...lifecycle import Status
from ...selectors import (
    audit_entry,
    configuration_get_for_type,
    credential_events,
    credential_get_visible,
    eligibility_listing,
    user_is_context_staff,
)
from ...services.on_demand import Outcome, credential_name_change_reissue, credential_request
from ..schema import PAGE_PARAMETERS, documented, errors, page_of, query
from .serializers import (
    AuditEntrySerializer,
    CredentialSerializer,
    EligibilityListingSerializer,
    StaffAuditEntrySerializer,
)
from .views import BaseView, CredentialPagination

OUTCOME_STATUSES = {
    Outcome.CREATED: status.HTTP_201_CREATED,
    Outcome.QUEUED: status.HTTP_202_ACCEPTED,
    Outcome.EXISTING: status.HTTP_200_OK,
}


def _status_url(credential) -> str:
    return reverse("learning_credentials:api-v1-credential", kwargs={"uuid": str(credential.pk)})


NOT_ELIGIBLE = inline_serializer(
    name="NotEligible",
    fields={
        "detail": serializers.CharField(),
        "code": serializers.CharField(),
        "eligible": serializers.BooleanField(required=False, help_text="false: present when not eligible."),
        "progress": serializers.JSONField(
            required=False, help_text="When not eligible: what the credential type's rules measured."
        ),
    },
)


class LearnerView(BaseView):
    permission_classes = [IsAuthenticated]

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        if isinstance(exc, LearnerNotEligible):
            response.data = {**response.data, "eligible": False, "progress": exc.progress}
        elif isinstance(exc, ReissueTooSoon):
            response["Retry-After"] = str(exc.retry_after)
        return response


class EligibilityView(LearnerView):
    """GET: each enabled credential type of a context with the learner's progress and credential."""

    @documented(
        summary="A learner's eligibility for the credentials of a context",
        parameters=[query("username", "Another learner: staff of the context only.")],
        responses={200: EligibilityListingSerializer, **errors(400, 401, 403, 404)},
    )
    def get(self, request, context_key: str):
        listing = eligibility_listing(
            viewer=request.user,
            context_key=parse_context_key(context_key),
            username=request.query_params.get("username"),
        )
        return Response(EligibilityListingSerializer(listing).data)


# Not inside ATOMIC_REQUESTS' transaction: the credential must be committed before a worker
# thread generates it, and rendering must not hold a transaction open.
@method_decorator(transaction.non_atomic_requests, name="dispatch")
class OnDemandView(LearnerView):
    """POST: issue the signed-in learner's credential now; 201 generated, 202 queued, 200 already held."""

    @documented(
        summary="Issue the signed-in learner's credential now (on demand)",
        request=None,
        responses={
            200: OpenApiResponse(CredentialSerializer, description="The learner already holds it."),
            201: OpenApiResponse(CredentialSerializer, description="Issued and generated; Location is its status URL."),
            202: OpenApiResponse(CredentialSerializer, description="Issued, generation queued; poll Location."),
            403: OpenApiResponse(
                NOT_ELIGIBLE,
                description="Not eligible (yet), with the learner's progress; or not signed in (session auth).",
            ),
            **errors(400, 401, 404, 409, 503),
        },
    )
    def post(self, request, context_key: str, type_key: str):
        configuration = configuration_get_for_type(context_key=parse_context_key(context_key), type_key=type_key)
        credential, outcome = credential_request(user=request.user, configuration=configuration)
        headers = {} if outcome == Outcome.EXISTING else {"Location": _status_url(credential)}
        return Response(CredentialSerializer(credential).data, status=OUTCOME_STATUSES[outcome], headers=headers)


@method_decorator(transaction.non_atomic_requests, name="dispatch")
class NameChangeReissueView(LearnerView):
    """POST: the holder's credential reissued under their current name; 201 when ready, else 202."""

    @documented(
        summary="Reissue the holder's credential under their current name",
        request=None,
        responses={
            201: OpenApiResponse(CredentialSerializer, description="Reissued and generated."),
            202: OpenApiResponse(CredentialSerializer, description="Reissued, generation queued; poll Location."),
            **errors(401, 403, 404, 409, 429, e429="Reissued too recently; Retry-After says when to try again."),
        },
    )
    def post(self, request, uuid: str):
        credential = credential_get_visible(uuid=uuid, user=request.user)
        if credential is None:
            raise NotFound()
        new = credential_name_change_reissue(user=request.user, credential=credential)
        code = status.HTTP_201_CREATED if new.status == Status.AVAILABLE else status.HTTP_202_ACCEPTED
        return Response(CredentialSerializer(new).data, status=code, headers={"Location": _status_url(new)})


class CredentialEventsView(LearnerView):
    """GET: a credential's audit trail; the holder's view omits staff text and other people's identities."""

    @documented(
        summary="A credential's audit trail",
        description="Staff of the context also see who acted (``actor``) and staff-only text.",
        parameters=PAGE_PARAMETERS,
        responses={200: page_of(StaffAuditEntrySerializer, name="AuditEntryPage"), **errors(401, 403, 404)},
    )
    def get(self, request, uuid: str):
        credential = credential_get_visible(uuid=uuid, user=request.user)
        if credential is None:
            raise NotFound()
        full = user_is_context_staff(request.user, credential.configuration.learning_context_key)
        paginator = CredentialPagination()
        page = paginator.paginate_queryset(credential_events(credential=credential), request, view=self)
        entries = [audit_entry(event, credential=credential, full=full) for event in page]
        serializer = StaffAuditEntrySerializer if full else AuditEntrySerializer
        return paginator.get_paginated_response(serializer(entries, many=True).data)
