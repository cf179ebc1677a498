"""Output serializers of the credits API. Learners never see staff text (void reasons) or other learners."""

from rest_framework import serializers

from ...identifiers import format_code


class CreditTotalSerializer(serializers.Serializer):
    """The active credits of one type (a selectors.CreditTotal)."""

    code = serializers.CharField()
    name = serializers.CharField()
    unit = serializers.CharField()
    total = serializers.DecimalField(max_digits=8, decimal_places=2)
    label = serializers.CharField()


class CreditEntrySerializer(serializers.Serializer):
    """One ledger entry as its learner sees it; a voided one says when, not why."""

    id = serializers.IntegerField()
    context_key = serializers.CharField()
    credit_type = serializers.CharField(source="credit_type.code")
    credit_type_name = serializers.CharField(source="credit_type.name")
    amount = serializers.DecimalField(max_digits=4, decimal_places=2)
    label = serializers.SerializerMethodField()
    activity_id = serializers.CharField()
    awarded_at = serializers.DateTimeField()
    credential = serializers.UUIDField(source="credential.uuid", allow_null=True, default=None)
    status = serializers.SerializerMethodField()
    voided_at = serializers.DateTimeField(allow_null=True)

    def get_label(self, entry) -> str:
        return entry.credit_type.label(entry.amount)

    def get_status(self, entry) -> str:
        return "voided" if entry.voided_at else "active"


class ReportRowSerializer(serializers.Serializer):
    """One row of the accrediting-body report (a selectors.ReportRow)."""

    learner_name = serializers.CharField()
    email = serializers.CharField()
    username = serializers.CharField()
    activity_id = serializers.CharField()
    credit_type = serializers.CharField()
    credit_type_name = serializers.CharField()
    amount = serializers.DecimalField(max_digits=4, decimal_places=2)
    completion_date = serializers.DateField()
    context_key = serializers.CharField()
    verification_code = serializers.SerializerMethodField()

    def get_verification_code(self, row) -> str | None:
        return format_code(row.verification_code) if row.verification_code else None


class SummarySerializer(serializers.Serializer):
    """Dashboard counts (a selectors.LearnerSummary)."""

    credentials = serializers.SerializerMethodField()
    credits = CreditTotalSerializer(many=True)

    def get_credentials(self, summary) -> dict:
        return {"total": summary.credentials_total, "by_status": summary.credentials_by_status}


class CatalogCreditSerializer(serializers.Serializer):
    """A credit a configuration awards (a ConfigurationCredit)."""

    credit_type = serializers.CharField(source="credit_type.code")
    credit_type_name = serializers.CharField(source="credit_type.name")
    amount = serializers.DecimalField(max_digits=4, decimal_places=2)
    label = serializers.CharField(source="__str__")
    activity_id = serializers.CharField()


class CatalogCredentialSerializer(serializers.Serializer):
    type_key = serializers.CharField()
    type_name = serializers.CharField()
    credits = CatalogCreditSerializer(many=True)


class CatalogContextSerializer(serializers.Serializer):
    """A context that offers credentials (a selectors.CatalogContext)."""

    context_key = serializers.CharField()
    context_name = serializers.CharField()
    credential_types = CatalogCredentialSerializer(many=True)
