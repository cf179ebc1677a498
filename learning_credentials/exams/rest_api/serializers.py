"""What the certification API answers."""

from django.core.validators import RegexValidator
from rest_framework import serializers

from ...services.webhooks import CONTROL_CHARACTERS


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

    def get_price(self, status) -> PriceSerializer(allow_null=True):
        if status.price_amount is None:
            return None
        return PriceSerializer({"amount": status.price_amount, "currency": status.price_currency}).data

    def get_entitlement_owned(self, status) -> bool:
        return status.entitlement is not None


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
