"""Certification API views: thin; the rules are in the exams' services and selectors."""

from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from drf_spectacular.types import OpenApiTypes
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from ...exceptions import BadRequest, InvalidContextKey
from ...identifiers import parse_context_key
from ...models import CredentialEvent
from ...rest_api.schema import documented, errors, query
from ...rest_api.v1.views import BaseView
from ...rest_api.v1.webhooks import SIGNATURE_HEADERS, SignedWebhookView
from ...selectors import learner_for_viewer
from ..attempts import attempt_answer, attempt_discard, attempt_read, attempt_start, attempt_submit
from ..payments import entitlement_purchase, payment_receive, payment_webhook_secret
from ..selectors import certification_status, certification_statuses
from ..services import certification_status_read, entitlement_redeem_points
from .serializers import (
    AnswerResultSerializer,
    AnswerSerializer,
    AttemptSerializer,
    CertificationStatusListSerializer,
    CertificationStatusSerializer,
    GradeSerializer,
    PaymentOutcomeSerializer,
    PurchaseSerializer,
)

USERNAME = query("username", "Another learner: platform staff, or staff of this course.")
REFUSAL = "You may only read and change your own certification."
MAX_COURSES = 100
CONTEXT_KEYS = query(
    "context_key",
    f"A course, repeated for each course of the list (1 to {MAX_COURSES}): ?context_key=A&context_key=B.",
    many=True,
    required=True,
)
LIST_USERNAME = query("username", "Another learner: platform staff, or staff of every course asked about.")


def _learner(request, context_key):
    return learner_for_viewer(
        viewer=request.user, username=request.query_params.get("username"), context_key=context_key, refusal=REFUSAL
    )


def _context_keys(request) -> list:
    """The list's courses, parsed, each once in the order first asked; a 400 says which is wrong."""
    raw = request.query_params.getlist("context_key")
    if not raw:
        raise BadRequest(_("Give at least one course: ?context_key=course-v1:...&context_key=..."))
    if len(raw) > MAX_COURSES:
        raise BadRequest(
            ngettext(
                "Ask about at most %(most)d course at a time; this request asks about %(asked)d.",
                "Ask about at most %(most)d courses at a time; this request asks about %(asked)d.",
                MAX_COURSES,
            )
            % {"most": MAX_COURSES, "asked": len(raw)}
        )
    keys = []
    for number, value in enumerate(raw, start=1):
        try:
            keys.append(parse_context_key(value))
        except InvalidContextKey as exc:
            raise InvalidContextKey(
                _("context_key number %(number)d: %(problem)s") % {"number": number, "problem": exc.message}
            ) from None
    return list(dict.fromkeys(keys))


def _list_learner(request, context_keys: list):
    """The learner of a course list; course staff may read another learner's list of their own courses only.

    Platform staff and learners cost no more for a long list; course staff's check is per course.
    """
    learner = _learner(request, context_keys[0])
    if learner.pk != request.user.pk and not request.user.is_staff:
        for key in context_keys[1:]:
            _learner(request, key)
    return learner


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
        status = certification_status_read(user=learner, context_key=key, activity_source=CredentialEvent.Source.API)
        return Response(CertificationStatusSerializer(status).data)


class CertificationStatusListView(BaseView):
    """GET ``?context_key=A&context_key=B``: the learner's certification status in each course of a course list."""

    permission_classes = [IsAuthenticated]

    @documented(
        summary="A learner's certification status in several courses (the course list's chips)",
        description=(
            f"Up to {MAX_COURSES} courses, answered in the order asked (a course asked twice, once), in a fixed number "
            "of queries whatever their number. Unlike the single course's status, reading the list does not turn "
            'premium access into an entitlement: a premium learner\'s chip reads "Completed, certificate available" '
            "until their status in that course is read once."
        ),
        operation_id="certification_status_list",
        parameters=[CONTEXT_KEYS, LIST_USERNAME],
        responses={
            200: CertificationStatusListSerializer,
            **errors(
                400,
                401,
                403,
                404,
                e400=f"bad_request: no context_key, or more than {MAX_COURSES}; invalid_context_key: which one.",
                e404="unknown_learner: staff named nobody.",
            ),
        },
    )
    def get(self, request):
        keys = _context_keys(request)
        learner = _list_learner(request, keys)
        statuses = certification_statuses(user=learner, context_keys=keys)
        return Response(CertificationStatusListSerializer({"results": [statuses[key] for key in keys]}).data)


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


class PurchaseView(BaseView):
    """POST ``{payment_reference}``: certification bought with a payment the host confirms; the same again is 200."""

    permission_classes = [IsAuthenticated]

    @documented(
        summary="Buy certification with a confirmed payment",
        description=(
            "After the host's checkout, the learner posts the payment's reference. The host confirms it "
            "(its adapter's payment_confirm, or an earlier delivery of the payment webhook): the payment must be "
            "this learner's, for this course, and at least the price in the price's currency."
        ),
        operation_id="certification_purchase",
        request=PurchaseSerializer,
        parameters=[USERNAME],
        responses={
            201: CertificationStatusSerializer,
            200: CertificationStatusSerializer,
            **errors(
                400,
                401,
                403,
                404,
                409,
                413,
                e409=(
                    "certification_unavailable, payment_not_accepted (no price in money), payment_not_confirmed "
                    "or payment_reference_used (another learner's or course's, or refunded); nothing was created."
                ),
            ),
        },
    )
    def post(self, request, context_key: str):
        key = parse_context_key(context_key)
        learner = _learner(request, key)
        body = PurchaseSerializer(data=request.data)
        if not body.is_valid():
            raise ValidationError(body.errors)
        _entitlement, created = entitlement_purchase(
            user_id=learner.pk,
            context_key=key,
            payment_reference=body.validated_data["payment_reference"],
            activity_source=CredentialEvent.Source.API,
            actor_id=None if learner.pk == request.user.pk else request.user.pk,
        )
        return _status_response(learner, key, status=201 if created else 200)


class PaymentWebhookView(SignedWebhookView):
    """The host's commerce system reports a payment for certification; 200 with what it did, else refused."""

    refused_activity = "payment_refused"

    @documented(
        summary="Report a payment for certification (signed webhook)",
        description=(
            "Signed like the refund webhook (HMAC-SHA256 over ``<timestamp>.<body>``), with the shared secret "
            "EXAMS' PAYMENT_WEBHOOK_SECRET. Body: event_id, payment_reference, username or user_id, context_key, "
            "amount, currency. Each event_id is processed once; refused deliveries record nothing."
        ),
        auth=[],
        request={"application/json": OpenApiTypes.OBJECT},
        parameters=SIGNATURE_HEADERS,
        responses={
            200: PaymentOutcomeSerializer,
            **errors(
                400,
                401,
                404,
                409,
                413,
                503,
                e404="unknown_learner: no learner has the username or user id.",
                e409=(
                    "certification_unavailable, payment_not_accepted, payment_not_confirmed (below the price or "
                    "another currency) or payment_reference_used; nothing was recorded."
                ),
            ),
        },
    )
    def post(self, request):
        payment_webhook_secret()  # 503 before reading anything when the webhook is off
        return Response(PaymentOutcomeSerializer(payment_receive(**self.signed(request))).data)


LEARNER = CredentialEvent.Source.LEARNER
CLOSED = "attempt_closed: the attempt is graded or discarded (the body's status and reason say which)."


class AttemptStartView(BaseView):
    """POST: start the course's final exam; an attempt in progress is discarded (superseded)."""

    permission_classes = [IsAuthenticated]

    @documented(
        summary="Start the final exam",
        description=(
            "Draws the exam's questions at random from the course's pool (or its parent's), shuffles them and their "
            "options, and keeps a snapshot of them on the attempt. One sitting: leaving the exam, idling past the "
            "idle timeout or starting again discards it."
        ),
        operation_id="certification_attempt_start",
        request=None,
        responses={
            201: AttemptSerializer,
            **errors(
                400,
                401,
                403,
                409,
                429,
                e403="course_not_completed or no_entitlement.",
                e409="certification_unavailable.",
                e429="start_limit: EXAMS' MAX_STARTS_PER_DAY starts in the last 24 hours; retry_after in seconds.",
            ),
        },
    )
    def post(self, request, context_key: str):
        key = parse_context_key(context_key)
        attempt = attempt_start(user_id=request.user.pk, context_key=key, activity_source=LEARNER)
        return Response(AttemptSerializer(attempt).data, status=201)


class AttemptView(BaseView):
    """GET: the learner's attempt and its current question (the same one until it is answered)."""

    permission_classes = [IsAuthenticated]

    @documented(
        summary="An exam attempt",
        operation_id="certification_attempt",
        responses={200: AttemptSerializer, **errors(401, 404, e404="No such attempt of yours.")},
    )
    def get(self, request, attempt_id: str):
        attempt = attempt_read(attempt_id=attempt_id, user_id=request.user.pk, activity_source=LEARNER)
        return Response(AttemptSerializer(attempt).data)


class AnswerView(BaseView):
    """POST ``{question, options}``: the first answer to a question is final; the reply says if it was right."""

    permission_classes = [IsAuthenticated]

    @documented(
        summary="Answer a question of the exam",
        operation_id="certification_attempt_answer",
        request=AnswerSerializer,
        responses={
            200: AnswerResultSerializer,
            **errors(
                400,
                401,
                404,
                409,
                e400="invalid (the body), or bad_request: the exam has no such question or option, or a single-choice "
                "question got several options.",
                e409="already_answered, or " + CLOSED,
            ),
        },
    )
    def post(self, request, attempt_id: str):
        body = AnswerSerializer(data=request.data)
        if not body.is_valid():
            raise ValidationError(body.errors)
        result = attempt_answer(
            attempt_id=attempt_id, user_id=request.user.pk, activity_source=LEARNER, **body.validated_data
        )
        return Response({"correct": result.correct, "attempt": AttemptSerializer(result.attempt).data})


class SubmitView(BaseView):
    """POST: grade the attempt (unanswered questions are wrong); a pass issues or updates the certificate."""

    permission_classes = [IsAuthenticated]

    @documented(
        summary="Submit the exam for grading",
        operation_id="certification_attempt_submit",
        request=None,
        responses={200: GradeSerializer, **errors(401, 404, 409, e409=CLOSED)},
    )
    def post(self, request, attempt_id: str):
        grade = attempt_submit(attempt_id=attempt_id, user_id=request.user.pk, activity_source=LEARNER)
        return Response(GradeSerializer(grade).data)


class DiscardView(BaseView):
    """POST: the learner left the exam; it is discarded and changes nothing. Accepts a browser beacon's form post."""

    permission_classes = [IsAuthenticated]

    @documented(
        summary="Discard the exam (the learner left it)",
        operation_id="certification_attempt_discard",
        request=None,
        responses={200: AttemptSerializer, **errors(401, 404, 409, e409=CLOSED)},
    )
    def post(self, request, attempt_id: str):
        attempt = attempt_discard(attempt_id=attempt_id, user_id=request.user.pk, activity_source=LEARNER)
        return Response(AttemptSerializer(attempt).data)
