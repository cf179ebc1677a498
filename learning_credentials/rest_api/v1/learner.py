"""Learner-facing v1 views: eligibility, on-demand issuance, name-change reissue, own audit trail. Thin."""

from django.db import transaction
from django.urls import reverse
from django.utils.decorators import method_decorator
from rest_framework import status
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

    def post(self, request, context_key: str, type_key: str):
        configuration = configuration_get_for_type(context_key=parse_context_key(context_key), type_key=type_key)
        credential, outcome = credential_request(user=request.user, configuration=configuration)
        headers = {} if outcome == Outcome.EXISTING else {"Location": _status_url(credential)}
        return Response(CredentialSerializer(credential).data, status=OUTCOME_STATUSES[outcome], headers=headers)


@method_decorator(transaction.non_atomic_requests, name="dispatch")
class NameChangeReissueView(LearnerView):
    """POST: the holder's credential reissued under their current name; 201 when ready, else 202."""

    def post(self, request, uuid: str):
        credential = credential_get_visible(uuid=uuid, user=request.user)
        if credential is None:
            raise NotFound()
        new = credential_name_change_reissue(user=request.user, credential=credential)
        code = status.HTTP_201_CREATED if new.status == Status.AVAILABLE else status.HTTP_202_ACCEPTED
        return Response(CredentialSerializer(new).data, status=code, headers={"Location": _status_url(new)})


class CredentialEventsView(LearnerView):
    """GET: a credential's audit trail; the holder's view omits staff text and other people's identities."""

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
