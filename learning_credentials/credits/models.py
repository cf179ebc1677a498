"""Continuing-education credits: types (data, not schema), what configurations award, and the ledger."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ..compat import UniqueConstraintMessages, check_constraint
from ..models import ContextKeyField, Credential, CredentialConfiguration

MIN_AMOUNT = Decimal("0.01")
MAX_AMOUNT = Decimal("99.99")


def amount_field(**kwargs) -> models.DecimalField:
    """Credits are awarded in hundredths, from 0.01 to 99.99 (the seed's numeric(4,2))."""
    return models.DecimalField(
        pgettext_lazy("credits", "amount"),
        max_digits=4,
        decimal_places=2,
        validators=[
            MinValueValidator(MIN_AMOUNT, message=_("An amount is greater than 0.")),
            MaxValueValidator(MAX_AMOUNT, message=_("An amount is at most 99.99.")),
        ],
        **kwargs,
    )


class CreditType(models.Model):
    """
    A kind of continuing-education credit (SHRM PDCs, HRCI credits, CPE, CEU...); staff add them as data.

    .. no_pii:
    """

    code = models.CharField(
        _("code"),
        max_length=32,
        unique=True,
        validators=[
            RegexValidator(r"^[A-Za-z0-9][A-Za-z0-9_-]*$", _("Letters, digits, '-' and '_', e.g. SHRM, HRCI, CPE."))
        ],
        help_text=_("Short code of the accrediting body's credit, e.g. SHRM or HRCI; stored in capitals."),
    )
    name = models.CharField(
        _("name"), max_length=255, help_text=_("Full name, e.g. 'SHRM Professional Development Credits'.")
    )
    unit = models.CharField(
        _("unit label"), max_length=32, help_text=_("What one credit is called, e.g. 'PDC' or 'credit'.")
    )
    unit_plural = models.CharField(
        _("unit label, plural"),
        max_length=32,
        blank=True,
        help_text=_("Plural of the unit label, e.g. 'PDCs'; empty: the unit label with an 's'."),
    )
    description = models.TextField(
        _("description"), blank=True, help_text=_("What the credit is and who accredits it; for staff and learners.")
    )
    active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("Inactive types cannot be awarded or added to configurations; what was awarded stays."),
    )
    created = models.DateTimeField(_("created"), auto_now_add=True, help_text=_("When the type was added."))

    class Meta:
        app_label = "learning_credentials_credits"
        verbose_name = _("credit type")
        verbose_name_plural = _("credit types")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code

    def save(self, *args, **kwargs) -> None:
        """Codes are stored in capitals on every save path, so 'shrm' and 'SHRM' are one type everywhere."""
        self.code = (self.code or "").strip().upper()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        self.code = (self.code or "").strip().upper()

    def label(self, amount: Decimal) -> str:
        """``1.50 SHRM PDCs``: the amount with two decimals, the code and the unit."""
        unit = self.unit if amount == 1 else (self.unit_plural or f"{self.unit}s")
        return f"{amount:.2f} {self.code} {unit}"


class ConfigurationCredit(UniqueConstraintMessages, models.Model):
    """
    One credit a configuration awards with its credential: the type, the amount and the activity ID.

    .. no_pii:
    """

    configuration = models.ForeignKey(
        CredentialConfiguration,
        on_delete=models.CASCADE,
        related_name="credits",
        verbose_name=_("configuration"),
        help_text=_("The configuration whose credential carries the credit."),
    )
    credit_type = models.ForeignKey(
        CreditType,
        on_delete=models.PROTECT,
        related_name="configuration_credits",
        verbose_name=_("credit type"),
        help_text=_("The kind of credit awarded; an active type."),
    )
    amount = amount_field(help_text=_("Credits awarded, from 0.01 to 99.99."))
    activity_id = models.CharField(
        _("activity or program ID"),
        max_length=100,
        blank=True,
        help_text=_("The accrediting body's ID of the activity or program; it goes into the reports."),
    )

    class Meta:
        app_label = "learning_credentials_credits"
        verbose_name = _("credit awarded")
        verbose_name_plural = _("credits awarded")
        ordering = ["configuration", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["configuration", "credit_type"],
                name="lcc_one_credit_line_per_configuration_type",
                violation_error_message=_("This configuration already awards this credit type."),
            ),
            check_constraint(
                condition=Q(amount__gt=0) & Q(amount__lte=MAX_AMOUNT), name="lcc_credit_line_amount_range"
            ),
        ]

    def __str__(self) -> str:
        return self.credit_type.label(self.amount) if self.credit_type_id and self.amount is not None else "-"

    def save(self, *args, **kwargs) -> None:
        """Validated on every save path, not only in the admin's forms."""
        self.full_clean()
        super().save(*args, **kwargs)
        self._loaded_credit_type_id = self.credit_type_id

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded_credit_type_id = instance.__dict__.get("credit_type_id")
        return instance

    def clean(self) -> None:
        """A new line, or one switched to another type, needs an active type; existing lines may keep theirs."""
        if not self.credit_type_id:
            return
        if self.credit_type_id == getattr(self, "_loaded_credit_type_id", None):
            return
        if CreditType.objects.filter(pk=self.credit_type_id, active=False).exists():  # an unknown id: the field says so
            raise ValidationError({"credit_type": _("This credit type is inactive; it cannot be awarded.")})


class CreditLedgerEntry(UniqueConstraintMessages, models.Model):
    """
    Credits one learner earned in one learning context, with the credential they came with.

    Entries are voided, never deleted. At most one active entry exists per learner, context and
    credit type (a learner earns each credit type once per context).

    .. pii: The learner (user link) and what they earned.
    .. pii_types: id
    .. pii_retirement: local_api (a retired learner's entries are voided with their credentials; the
        amounts stay for the totals reported to accrediting bodies; the user link goes with the account)
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="credit_ledger_entries",
        verbose_name=_("learner"),
        help_text=_("The learner who earned the credits; empty once their account was deleted."),
    )
    context_key = ContextKeyField(
        _("learning context key"),
        max_length=255,
        help_text=_("The course or learning path the credits were earned in."),
    )
    credit_type = models.ForeignKey(
        CreditType,
        on_delete=models.PROTECT,
        related_name="entries",
        verbose_name=_("credit type"),
        help_text=_("The kind of credit."),
    )
    amount = amount_field(help_text=_("Credits earned."))
    awarded_at = models.DateTimeField(
        _("awarded at"), default=timezone.now, help_text=_("When the credits were awarded (the completion date).")
    )
    credential = models.ForeignKey(
        Credential,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_entries",
        verbose_name=_("credential"),
        help_text=_("The credential the credits came with; empty for credits awarded on their own."),
    )
    activity_id = models.CharField(
        _("activity or program ID"),
        max_length=100,
        blank=True,
        help_text=_("The accrediting body's ID of the activity or program, as configured when awarded."),
    )
    metadata = models.JSONField(
        _("metadata"),
        default=dict,
        blank=True,
        help_text=_("Facts of the award, e.g. the configuration it came from, or the credential it moved from."),
    )
    # True while the entry counts, NULL once voided: NULLs are distinct in unique indexes on SQLite,
    # PostgreSQL and MariaDB alike, so unique (user, context, type, active) allows one active entry
    # everywhere (MariaDB ignores conditional unique constraints); see decision 0001.
    active = models.BooleanField(
        _("active"),
        null=True,
        default=True,
        editable=False,
        help_text=_("Set while not voided; backs the one-active-entry constraint."),
    )
    voided_at = models.DateTimeField(
        _("voided at"), null=True, blank=True, help_text=_("When the entry was voided; voided entries count nowhere.")
    )
    void_reason = models.TextField(
        _("void reason"), blank=True, help_text=_("Why the entry was voided, e.g. the credential was refunded.")
    )
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("voided by"),
        help_text=_("The staff member who voided it; empty when the system did (an invalidated credential)."),
    )

    class Meta:
        app_label = "learning_credentials_credits"
        verbose_name = _("credit ledger entry")
        verbose_name_plural = _("credit ledger entries")
        ordering = ["-awarded_at", "-id"]
        permissions = [("void_creditledgerentry", _("Can void credit ledger entries"))]
        indexes = [models.Index(fields=["context_key", "awarded_at"], name="lcc_entry_context_awarded")]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "context_key", "credit_type", "active"],
                name="lcc_one_active_entry_per_user_context_type",
                violation_error_message=_(
                    "The learner already holds an active entry of this credit type in this context; "
                    "a learner earns each credit type once per context."
                ),
            ),
            check_constraint(
                condition=(
                    Q(voided_at__isnull=True, active__isnull=False, active=True)
                    | Q(voided_at__isnull=False, active__isnull=True)
                ),
                name="lcc_entry_active_matches_voided",
            ),
            check_constraint(condition=Q(amount__gt=0) & Q(amount__lte=MAX_AMOUNT), name="lcc_entry_amount_range"),
        ]

    def __str__(self) -> str:
        label = self.credit_type.label(self.amount) if self.credit_type_id else "-"
        return f"{label} in {self.context_key}" + (" (voided)" if self.voided_at else "")
