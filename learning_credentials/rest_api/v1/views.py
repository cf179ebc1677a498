"""v1 API views: thin; rules live in selectors and services."""

import hashlib
import json

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpResponsePermanentRedirect, JsonResponse
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.csrf import csrf_exempt
from rest_framework import status
from rest_framework.exceptions import APIException, ErrorDetail, NotFound, PermissionDenied, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from ...adapters import get_adapter
from ...exceptions import (
    AccessDenied,
    BadRequest,
    InvalidContextKey,
    InvalidOptions,
    InvalidTransition,
    IssuanceRefused,
    LearningCredentialsError,
    NotConfigured,
    NotEligible,
    NotEnrolled,
    ObjectNotFound,
    PayloadTooLarge,
    QueueUnavailable,
    ReissueTooSoon,
    TooManyRequests,
    UnknownLearner,
    WebhookNotConfigured,
    WebhookPayloadInvalid,
    WebhookPayloadTooLarge,
    WebhookUnauthorized,
    WebhookUnavailable,
)
from ...identifiers import parse_context_key, parse_uuid
from ...languages import in_request_language
from ...models import Credential, VerificationChannel, Visibility
from ...public_http import cache_privately, cache_publicly
from ...selectors import (
    context_sites,
    credential_get_by_code,
    credential_get_public,
    credentials_for_user,
    public_identities_attach,
    user_get,
    user_may_see,
)
from ...services.verification_counts import verification_count
from ...throttling import CodeLookupThrottle, PublicThrottle
from ..parsers import PARSERS
from ..schema import PAGE_PARAMETERS, VIEW_SCHEMA, documented, errors, page_of, query
from .serializers import CredentialSerializer, MetadataSchemaSerializer, MetadataSerializer

# The one place where errors of our tree become HTTP statuses; the first match wins, so a
# subclass comes before its base (NotEligible and ReissueTooSoon are IssuanceRefused).
ERROR_STATUSES: tuple[tuple[type[LearningCredentialsError], int], ...] = (
    (InvalidContextKey, status.HTTP_400_BAD_REQUEST),
    (BadRequest, status.HTTP_400_BAD_REQUEST),
    (InvalidOptions, status.HTTP_400_BAD_REQUEST),
    (AccessDenied, status.HTTP_403_FORBIDDEN),
    (NotEligible, status.HTTP_403_FORBIDDEN),
    (NotEnrolled, status.HTTP_404_NOT_FOUND),
    (NotConfigured, status.HTTP_404_NOT_FOUND),
    (UnknownLearner, status.HTTP_404_NOT_FOUND),
    (ObjectNotFound, status.HTTP_404_NOT_FOUND),
    (TooManyRequests, status.HTTP_429_TOO_MANY_REQUESTS),
    (ReissueTooSoon, status.HTTP_429_TOO_MANY_REQUESTS),
    (InvalidTransition, status.HTTP_409_CONFLICT),
    (IssuanceRefused, status.HTTP_409_CONFLICT),
    (QueueUnavailable, status.HTTP_503_SERVICE_UNAVAILABLE),
    (PayloadTooLarge, status.HTTP_413_REQUEST_ENTITY_TOO_LARGE),
    (WebhookUnauthorized, status.HTTP_401_UNAUTHORIZED),
    (WebhookPayloadInvalid, status.HTTP_400_BAD_REQUEST),
    (WebhookPayloadTooLarge, status.HTTP_413_REQUEST_ENTITY_TOO_LARGE),
    (WebhookNotConfigured, status.HTTP_503_SERVICE_UNAVAILABLE),
    (WebhookUnavailable, status.HTTP_503_SERVICE_UNAVAILABLE),
)


def error_body(exc: APIException) -> dict:
    """DRF's refusals in our one error format: ``detail`` and a machine-readable ``code``.

    A body that fails validation keeps its messages by field under ``errors``.
    """
    if isinstance(exc, ValidationError):
        return {"detail": _("The request is not valid."), "code": "invalid", "errors": _reworded(exc.detail)}
    codes = exc.get_codes()
    return {"detail": str(exc.detail), "code": codes if isinstance(codes, str) else exc.default_code}


# Django REST framework's messages that name a Python type ("got type \"str\""), by their codes.
REWORDED = {"not_a_list": _lazy("Must be a list."), "not_a_dict": _lazy("Must be an object.")}


def _reworded(detail):
    """Validation messages by field, those that would name a Python type in words instead."""
    if isinstance(detail, dict):
        return {key: _reworded(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_reworded(item) for item in detail]
    code = getattr(detail, "code", None)
    return ErrorDetail(str(REWORDED[code]), code=code) if code in REWORDED else detail


@csrf_exempt  # it changes nothing; a CSRF refusal would be Django's HTML page
@in_request_language
def unmatched(request, path: str = ""):
    """Any other path under the API's prefix: the API's own 404, in its one error format, not an HTML page.

    As Django's APPEND_SLASH would have, a GET that only lacks its final slash is redirected.
    """
    if settings.APPEND_SLASH and request.method in ("GET", "HEAD") and not request.path.endswith("/"):
        match = resolve_or_none(request.path_info + "/")
        if match is not None and match.func is not unmatched:
            return HttpResponsePermanentRedirect(request.get_full_path(force_append_slash=True))
    return cache_privately(JsonResponse(error_body(NotFound()), status=status.HTTP_404_NOT_FOUND))


def resolve_or_none(path: str):
    try:
        return resolve(path)
    except Resolver404:
        return None


def body_read(request, *, limit: int) -> bytes:
    """The raw body, refusing more than ``limit`` bytes by its Content-Length before reading, and by what is read."""
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if not declared.isdigit():
        raise BadRequest(_("The Content-Length header is not a number."))
    too_large = PayloadTooLarge(_("The body is larger than {limit} bytes.").format(limit=limit))
    if int(declared) > limit:
        raise too_large
    stream = request.stream
    body = stream.read(limit + 1) if stream is not None else b""
    if len(body) > limit:
        raise too_large
    return body


class BaseView(APIView):
    schema = VIEW_SCHEMA()
    parser_classes = PARSERS

    def dispatch(self, request, *args, **kwargs):
        """Messages in the client's language (``Accept-Language``), as on the public pages."""
        return in_request_language(super().dispatch)(request, *args, **kwargs)

    def handle_exception(self, exc):
        if isinstance(exc, RequestDataTooBig):  # over DATA_UPLOAD_MAX_MEMORY_SIZE: our 413, not Django's HTML 400
            return Response(
                {"detail": _("The body is larger than the server accepts."), "code": "payload_too_large"},
                status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            )
        if isinstance(exc, LearningCredentialsError):
            code = next(
                (http for kind, http in ERROR_STATUSES if isinstance(exc, kind)), status.HTTP_500_INTERNAL_SERVER_ERROR
            )
            response = Response({**exc.extra, "detail": exc.message, "code": exc.code}, status=code)
            if "retry_after" in exc.extra:
                response["Retry-After"] = str(exc.extra["retry_after"])
            return response
        response = super().handle_exception(exc)
        if isinstance(exc, Http404):  # DRF answers Django's own 404 without a code
            exc = NotFound()
        elif isinstance(exc, DjangoPermissionDenied):
            exc = PermissionDenied()
        if isinstance(exc, APIException):
            response.data = error_body(exc)
        return response

    def get_authenticate_header(self, request):
        """The first challenge any of the authentications offers, so that not signed in is a 401.

        DRF asks only the first authentication class, and session authentication (first in many
        configurations) has none: a bad Basic password would come back as a 403.
        """
        return next(
            (header for auth in self.get_authenticators() if (header := auth.authenticate_header(request))), None
        )

    def finalize_response(self, request, response, *args, **kwargs):
        """An answer the view did not cache publicly depends on who asks: no cache keeps it."""
        response = super().finalize_response(request, response, *args, **kwargs)
        if not response.has_header("Cache-Control"):
            cache_privately(response)
        return response


def _metadata_response(request, credential: Credential, *, channel: str) -> Response:
    """A public credential's metadata may be kept by caches (see public_http); a private one's by none."""
    data = MetadataSerializer(credential).data
    verification_count(request=request, credential=credential, channel=channel)
    response = Response(data)
    if credential.visibility == Visibility.PRIVATE:
        return response
    etag = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:32]
    return cache_publicly(request, response, etag=etag)


class MetadataView(BaseView):
    """Public metadata by verify_uuid; no sign-in needed (the holder and staff also see a private credential)."""

    permission_classes = [AllowAny]
    throttle_classes = [PublicThrottle]

    @documented(
        summary="Verify a credential by its verify UUID",
        auth=[],
        responses={200: MetadataSchemaSerializer, **errors(404, 429, e404="Unknown, or private to its holder.")},
    )
    def get(self, request, verify_uuid: str):
        credential = credential_get_public(verify_uuid=verify_uuid, viewer=request.user)
        if credential is None:
            raise NotFound()
        return _metadata_response(request, credential, channel=VerificationChannel.API)


class VerifyCodeView(BaseView):
    """The metadata body looked up by verification code: case, hyphens and spaces do not matter."""

    permission_classes = [AllowAny]
    throttle_classes = [CodeLookupThrottle]

    @documented(
        summary="Verify a credential by its verification code",
        auth=[],
        responses={200: MetadataSchemaSerializer, **errors(404, 429, e404="Unknown, or private to its holder.")},
    )
    def get(self, request, code: str):
        credential = credential_get_by_code(code=code, viewer=request.user)
        if credential is None:
            raise NotFound()
        return _metadata_response(request, credential, channel=VerificationChannel.CODE)


CONTEXT_KEY_FILTER = query("context_key", "Only this course or learning path (e.g. course-v1:Org+Course+Run).")
USERNAME_FILTER = query(
    "username", "Another learner: platform staff, or course staff together with a context_key they staff."
)


class CredentialPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class CredentialListView(BaseView):
    """The signed-in learner's credentials; staff may look at another learner's.

    Global staff may pass ``username``; course staff may pass it only together with a
    ``context_key`` they staff.
    """

    permission_classes = [IsAuthenticated]

    @documented(
        summary="List a learner's credentials",
        operation_id="credentials_list",
        parameters=[CONTEXT_KEY_FILTER, USERNAME_FILTER, *PAGE_PARAMETERS],
        responses={200: page_of(CredentialSerializer, name="CredentialPage"), **errors(400, 401, 403, 404)},
    )
    def get(self, request):
        raw_key = request.query_params.get("context_key")
        context_key = parse_context_key(raw_key) if raw_key is not None else None
        username = request.query_params.get("username")
        user = request.user
        if username and username != user.get_username():
            allowed = user.is_staff or (context_key is not None and get_adapter().is_course_staff(user, context_key))
            if not allowed:
                raise PermissionDenied(_("You may only list your own credentials."))
            target = user_get(username=username)
            if target is None:
                raise NotFound(_("No such user."))
        else:
            target = user
        paginator = CredentialPagination()
        page = paginator.paginate_queryset(
            credentials_for_user(user_id=target.pk, context_key=context_key), request, view=self
        )
        sites = context_sites(context_keys=[credential.configuration.learning_context_key for credential in page])
        public_identities_attach(page)
        return paginator.get_paginated_response(CredentialSerializer(page, many=True, context={"sites": sites}).data)


class CredentialDetailView(BaseView):
    """One credential, for its owner and staff; 404 for anyone else."""

    permission_classes = [IsAuthenticated]

    @documented(summary="Read one credential", responses={200: CredentialSerializer, **errors(401, 403, 404)})
    def get(self, request, uuid: str):
        parsed = parse_uuid(uuid)
        credential = (
            Credential.objects.select_related("configuration__credential_type", "user", "replaced_by")
            .filter(pk=parsed)
            .first()
            if parsed
            else None
        )
        if credential is None or not user_may_see(request.user, credential):
            raise NotFound()
        return Response(CredentialSerializer(credential).data)
