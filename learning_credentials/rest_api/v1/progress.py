"""``POST /api/learning_credentials/v1/progress/``: a host reports that a learner's progress changed.

For hosts that are not this Django process (a separate LMS, a payment service), the HTTP twin
of ``learning_credentials.api.notify_progress``. Allowed for staff and for (service) users
holding the permission ``learning_credentials.report_progress``.
"""

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from ...exceptions import InvalidContextKey
from ...identifiers import parse_context_key
from ...models import Credential, CredentialEvent
from ...selectors import user_get, user_is_enrolled
from ...services.progress import learner_progress_queue
from ..schema import documented, errors
from .views import BaseView

REPORT_PROGRESS_PERMISSION = "learning_credentials.report_progress"


class CanReportProgress(BasePermission):
    """Staff, and users granted ``learning_credentials.report_progress`` (directly or through a group)."""

    message = "Reporting progress needs staff status or the permission learning_credentials.report_progress."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and (user.is_staff or user.has_perm(REPORT_PROGRESS_PERMISSION)))


class ProgressView(BaseView):
    """Queue a check of one learner in one context; 202 once queued (or when nothing can be affected).

    Body: ``username`` or ``user_id`` (one of them), ``context_key``, optional ``order_reference``
    (stored on a credential this check issues). 400 for a malformed body, 404 for an unknown
    learner or one not enrolled in the context, 401/403 for callers without the permission.
    """

    permission_classes = [IsAuthenticated, CanReportProgress]

    @extend_schema_serializer(component_name="ProgressReport")
    class InputSerializer(serializers.Serializer):
        username = serializers.CharField(required=False, max_length=255)
        user_id = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
        context_key = serializers.CharField(max_length=255, trim_whitespace=False)
        order_reference = serializers.CharField(
            required=False,
            allow_blank=True,
            default="",
            max_length=Credential._meta.get_field("order_reference").max_length,
        )

        def validate_context_key(self, value: str):
            try:
                return parse_context_key(value)
            except InvalidContextKey as exc:
                raise serializers.ValidationError(exc.message) from exc

        def validate(self, data: dict) -> dict:
            if ("username" in data) == ("user_id" in data):
                raise serializers.ValidationError("Give either username or user_id.")
            return data

    @extend_schema_serializer(component_name="ProgressQueued")
    class OutputSerializer(serializers.Serializer):
        user_id = serializers.IntegerField()
        context_key = serializers.CharField()
        order_reference = serializers.CharField()
        queued = serializers.BooleanField()

    @documented(
        summary="Report that a learner's progress changed",
        request=InputSerializer,
        responses={202: OutputSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        if not serializer.is_valid():
            raise ValidationError(serializer.errors)
        data = serializer.validated_data
        user = user_get(username=data.get("username"), user_id=data.get("user_id"))
        if user is None:
            raise NotFound("No such user.")
        user_id = user.pk
        key = data["context_key"]
        if not user_is_enrolled(user_id=user_id, context_key=key):
            raise NotFound("The learner is not enrolled in this context.")
        queued = learner_progress_queue(
            user_id=user_id,
            context_key=key,
            source=CredentialEvent.Source.API,
            order_reference=data["order_reference"],
        )
        output = {
            "user_id": user_id,
            "context_key": str(key),
            "order_reference": data["order_reference"],
            "queued": queued,
        }
        return Response(self.OutputSerializer(output).data, status=status.HTTP_202_ACCEPTED)
