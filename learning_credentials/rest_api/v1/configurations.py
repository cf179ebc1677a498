"""A context's configurations and what a run of one would do now, for the context's course staff.

``GET configurations/?context_key=...`` and ``GET configurations/<id>/preview/``: the admin's
"Generate now" preview (services.run_preview) without the admin.
"""

from django.utils.translation import gettext as _
from drf_spectacular.utils import inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from ...exceptions import AccessDenied, BadRequest
from ...identifiers import parse_context_key
from ...models import CredentialConfiguration
from ...selectors import user_is_context_staff
from ...services.run_preview import configuration_preview
from ..schema import documented, errors, query
from .views import BaseView

CONFIGURATION_FIELDS = {
    "id": serializers.IntegerField(help_text="The configuration's id, for its preview."),
    "context_key": serializers.CharField(),
    "type_key": serializers.CharField(help_text="The credential type's slug."),
    "credential_type": serializers.CharField(help_text="The credential type's name."),
    "enabled": serializers.BooleanField(help_text="Whether runs, events and on-demand requests issue it."),
    "context_not_created_yet": serializers.BooleanField(
        help_text="Saved for a course or learning path that staff said does not exist yet."
    ),
}
CONFIGURATIONS = inline_serializer(
    name="ContextConfigurations",
    fields={
        "context_key": serializers.CharField(),
        "configurations": inline_serializer(name="ContextConfiguration", many=True, fields=CONFIGURATION_FIELDS),
    },
)
# Ids above this are no configuration's (and would overflow a database integer).
MAX_ID_DIGITS = 18
PREVIEW = inline_serializer(
    name="RunPreview",
    fields={
        "configuration_id": serializers.IntegerField(),
        "context_key": serializers.CharField(),
        "context_known": serializers.BooleanField(help_text="False when the platform does not know the context."),
        "enrolled": serializers.IntegerField(help_text="Learners enrolled in any mode."),
        "evaluated": serializers.IntegerField(help_text="Learners enrolled in a mode that earns the credential."),
        "eligible": serializers.IntegerField(),
        "already_held": serializers.IntegerField(help_text="Eligible learners who hold (or held) the credential."),
        "to_issue": serializers.IntegerField(help_text="Credentials a run now would issue."),
        "to_renew": serializers.IntegerField(help_text="Credentials a run now would renew (due for renewal)."),
        "reasons": inline_serializer(
            name="IneligibilityReason",
            many=True,
            fields={
                "code": serializers.CharField(
                    help_text="Stable code, e.g. completion_below, category_below, total_below, step_not_passed, "
                    "enrollment_mode, no_reason_given."
                ),
                "params": serializers.DictField(help_text="The criterion's parameters, e.g. category and required."),
                "detail": serializers.CharField(help_text="The reason in words."),
                "learners": serializers.IntegerField(),
            },
        ),
        "warning": inline_serializer(
            name="RunPreviewWarning",
            allow_null=True,
            fields={
                "code": serializers.CharField(
                    help_text="unknown_context, no_learners, no_learner_in_eligible_mode, same_reason_for_all "
                    "or cannot_run."
                ),
                "detail": serializers.CharField(),
            },
        ),
    },
)


def _configuration(configuration: CredentialConfiguration) -> dict:
    return {
        "id": configuration.pk,
        "context_key": str(configuration.learning_context_key),
        "type_key": configuration.credential_type.slug,
        "credential_type": configuration.credential_type.name,
        "enabled": configuration.enabled,
        "context_not_created_yet": configuration.context_not_created_yet,
    }


class ConfigurationListView(BaseView):
    """A context's configurations: platform staff and the context's course staff only."""

    permission_classes = [IsAuthenticated]

    @documented(
        summary="List a context's credential configurations",
        parameters=[
            query("context_key", "The course or learning path (e.g. course-v1:Org+Course+Run).", required=True)
        ],
        responses={200: CONFIGURATIONS, **errors(400, 401, 403)},
    )
    def get(self, request):
        raw_key = request.query_params.get("context_key")
        if not raw_key:
            raise BadRequest(_("Pass context_key: the course or learning path whose configurations to list."))
        key = parse_context_key(raw_key)
        if not user_is_context_staff(request.user, key):
            raise AccessDenied(_("Only staff of this course or learning path may list its configurations."))
        configurations = (
            CredentialConfiguration.objects.filter(learning_context_key=key)
            .select_related("credential_type")
            .order_by("pk")
        )
        return Response({"context_key": str(key), "configurations": [_configuration(c) for c in configurations]})


class ConfigurationPreviewView(BaseView):
    """What a run of the configuration would do now; writes nothing. Its context's staff only (404 for others)."""

    permission_classes = [IsAuthenticated]

    @documented(
        summary="Preview a run of a configuration",
        description=(
            "What a run started now would do: learners evaluated, eligible, already holding, to issue and to "
            "renew, and for the others the reasons counted (a learner may count under several). Computed with "
            "the run's own planning, in the request; nothing is written. A warning says when the configuration "
            "or its context is why nothing can be issued."
        ),
        responses={200: PREVIEW, **errors(401, 403, 404, e404="No such configuration, or not one you staff.")},
    )
    def get(self, request, configuration_id: str):
        valid = configuration_id.isascii() and configuration_id.isdigit() and len(configuration_id) <= MAX_ID_DIGITS
        configuration = (
            CredentialConfiguration.objects.select_related("credential_type").filter(pk=int(configuration_id)).first()
            if valid
            else None
        )
        if configuration is None or not user_is_context_staff(request.user, configuration.learning_context_key):
            raise NotFound()
        preview = configuration_preview(configuration=configuration)
        data = preview.as_dict()
        warning = preview.warning_code()
        return Response(
            {
                "configuration_id": configuration.pk,
                **{name: data[name] for name in ("context_key", "context_known", "enrolled", "evaluated")},
                **{name: data[name] for name in ("eligible", "already_held", "to_issue", "to_renew")},
                "reasons": [
                    {**reason, "detail": words}
                    for reason, (_ignored, words, _count) in zip(data["reasons"], preview.reason_lines(), strict=True)
                ],
                "warning": {"code": warning, "detail": preview.warning()} if warning else None,
            }
        )
