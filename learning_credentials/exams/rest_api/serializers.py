"""What the certification API answers."""

from django.core.validators import RegexValidator
from rest_framework import serializers

from ...services.webhooks import CONTROL_CHARACTERS
from ..attempts import attempt_idle_deadline, current_question
from ..rules import CTA, Chip


class PriceSerializer(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=10, decimal_places=2, help_text="E.g. 49.00.")
    currency = serializers.CharField(help_text="ISO 4217, e.g. USD.")


class EntitlementSerializer(serializers.Serializer):
    source = serializers.CharField(help_text="paid, points or included_in_premium.")
    granted_at = serializers.DateTimeField(source="created")


class CertificationStatusSerializer(serializers.Serializer):
    context_key = serializers.CharField()
    enabled = serializers.BooleanField(help_text="Whether the course offers certification at all.")
    available = serializers.BooleanField(
        help_text="Whether it can be had now: enabled, with a certificate and a large enough question pool."
    )
    message = serializers.CharField(
        help_text='When unavailable: "Certification unavailable. Contact the course creator."'
    )
    pool_count = serializers.IntegerField(help_text="Valid active questions the exam draws from.")
    exam_size = serializers.IntegerField(help_text="Questions of one exam.")
    price = serializers.SerializerMethodField(help_text="The price in money; null when not sold for money.")
    price_points = serializers.IntegerField(allow_null=True, help_text="The price in points; null when not redeemable.")
    premium_includes_certification = serializers.BooleanField()
    entitlement_owned = serializers.SerializerMethodField()
    entitlement = EntitlementSerializer(allow_null=True, help_text="The learner's active entitlement, if any.")
    points_balance = serializers.IntegerField(help_text="The learner's points.")
    username = serializers.CharField()
    completed = serializers.BooleanField(
        help_text="Whether the learner completed the course to its required completion (100% without certification)."
    )
    chip = serializers.ChoiceField(choices=Chip.choices, help_text="The course list's chip, a stable key.")
    chip_label = serializers.SerializerMethodField(help_text='The chip in words, e.g. "Certification unlocked".')
    cta = serializers.ChoiceField(
        choices=CTA.choices, allow_null=True, help_text="The course list's call to action; null when there is none."
    )
    cta_label = serializers.SerializerMethodField(help_text='The call to action in words, e.g. "Start final exam".')
    helper = serializers.CharField(
        help_text='A line under the chip: "Most recent score: 58%.", the unavailable message, or empty.'
    )
    most_recent_score = serializers.IntegerField(
        source="score", allow_null=True, help_text="The most recent graded exam's score in percent; null before any."
    )
    certification_url = serializers.URLField(
        allow_null=True,
        help_text="The certification's stable public page (whichever certificate is current); null before the first.",
    )

    def get_chip_label(self, status) -> str:
        return str(Chip(status.chip).label)

    def get_cta_label(self, status) -> str | None:
        return str(CTA(status.cta).label) if status.cta else None

    def get_price(self, status) -> PriceSerializer(allow_null=True):
        if status.price_amount is None:
            return None
        return PriceSerializer({"amount": status.price_amount, "currency": status.price_currency}).data

    def get_entitlement_owned(self, status) -> bool:
        return status.entitlement is not None


class CertificationStatusListSerializer(serializers.Serializer):
    results = CertificationStatusSerializer(many=True, help_text="One per course asked about, in the order asked.")


class PurchaseSerializer(serializers.Serializer):
    """What a learner posts after the host's checkout: the payment's reference, exactly as the host gave it."""

    payment_reference = serializers.CharField(
        max_length=255,
        trim_whitespace=False,
        validators=[
            RegexValidator(CONTROL_CHARACTERS, "Must not contain control characters.", inverse_match=True),
        ],
        help_text="The host's reference of the learner's payment (its order or payment id).",
    )


class PaymentOutcomeSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=["granted", "already_granted", "already_entitled", "duplicate"],
        help_text=(
            "granted: this payment entitled the learner; already_granted: it had already; already_entitled: the "
            "learner was entitled otherwise and this payment granted nothing; duplicate: this event_id was "
            "processed before."
        ),
    )
    entitlement = EntitlementSerializer(
        required=False, help_text="The learner's entitlement after the payment (absent for a duplicate)."
    )

    def to_representation(self, result):
        data = {"status": result.status}
        if result.entitlement is not None:
            data["entitlement"] = EntitlementSerializer(result.entitlement).data
        return data


class OptionSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="The option's id in this attempt.")
    text = serializers.CharField()


class QuestionSerializer(serializers.Serializer):
    """A question as the learner sees it: never its correct options, explanation or bank id."""

    id = serializers.CharField(help_text="The question's id in this attempt (random; never the pool's id).")
    number = serializers.IntegerField(help_text="Its place in the exam, from 1.")
    kind = serializers.ChoiceField(
        choices=["single", "multiple", "true_false"],
        help_text="single and true_false: choose exactly one option; multiple: all the correct ones.",
    )
    text = serializers.CharField()
    options = OptionSerializer(many=True, help_text="In this attempt's order (shuffled, except true/false).")

    def to_representation(self, question):
        return {
            "id": question["id"],
            "number": question["number"],
            "kind": question["kind"],
            "text": question["text"],
            "options": [{"id": option["id"], "text": option["text"]} for option in question["options"]],
        }


def _numbered(attempt, question):
    if question is None:
        return None
    return QuestionSerializer({**question, "number": attempt.questions.index(question) + 1}).data


class AttemptSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    context_key = serializers.CharField()
    status = serializers.ChoiceField(choices=["in_progress", "graded", "discarded"])
    discard_reason = serializers.CharField(
        allow_null=True, help_text="left, superseded (a new start) or expired (idle too long); null unless discarded."
    )
    size = serializers.IntegerField(help_text="Questions in the exam.")
    answered = serializers.IntegerField(help_text="Questions answered so far.")
    correct = serializers.IntegerField(help_text="Of those, answered correctly.")
    question = serializers.SerializerMethodField(help_text="The first unanswered question; null when none is left.")
    started_at = serializers.DateTimeField()
    idle_deadline = serializers.DateTimeField(
        allow_null=True, help_text="In progress: discarded as expired if not answered by then."
    )
    score = serializers.IntegerField(allow_null=True, help_text="Graded: the integer percent.")
    passed = serializers.BooleanField(allow_null=True)

    def to_representation(self, attempt):
        return {
            "id": str(attempt.pk),
            "context_key": str(attempt.context_key),
            "status": attempt.status,
            "discard_reason": attempt.discard_reason or None,
            "size": attempt.size,
            "answered": len(attempt.answers),
            "correct": sum(1 for answer in attempt.answers.values() if answer["correct"]),
            "question": _numbered(attempt, current_question(attempt)) if attempt.status == "in_progress" else None,
            "started_at": serializers.DateTimeField().to_representation(attempt.started_at),
            "idle_deadline": serializers.DateTimeField().to_representation(attempt_idle_deadline(attempt))
            if attempt.status == "in_progress"
            else None,
            "score": attempt.score,
            "passed": attempt.passed,
        }

    def get_question(self, attempt) -> QuestionSerializer(allow_null=True):  # for the schema only
        return None


class AnswerSerializer(serializers.Serializer):
    question = serializers.CharField(max_length=32, help_text="The question's id in this attempt.")
    options = serializers.ListField(
        child=serializers.CharField(max_length=32),
        min_length=1,
        max_length=50,
        help_text="The chosen options' ids: one for single and true/false questions, one or more for multiple.",
    )


class AnswerResultSerializer(serializers.Serializer):
    correct = serializers.BooleanField(help_text="Whether this answer was right.")
    attempt = AttemptSerializer(help_text="The attempt after the answer, with the next question.")


class CorrectAnswerSerializer(serializers.Serializer):
    question = serializers.CharField()
    correct_options = serializers.ListField(child=serializers.CharField())


class GradeSerializer(serializers.Serializer):
    attempt = serializers.UUIDField(source="attempt.pk")
    score = serializers.IntegerField(source="attempt.score", help_text="Integer percent, rounded half up.")
    passed = serializers.BooleanField(source="attempt.passed", help_text="Strictly above the pass mark.")
    correct = serializers.IntegerField(source="attempt.correct_count")
    size = serializers.IntegerField(source="attempt.size")
    wrong_questions = serializers.ListField(
        child=serializers.CharField(), help_text="On a fail: the texts of the questions answered wrongly or not at all."
    )
    correct_answers = CorrectAnswerSerializer(
        many=True,
        allow_null=True,
        help_text="Only where EXAMS' SHOW_CORRECT_ANSWERS_ON_FAIL is on, on a fail; otherwise null.",
    )
