"""Certification: per-course settings, question pools, entitlements, points, exams and certifications (seed 004).

Entitlements and points entries are written only by the exams' services, in the transactions that
decide them; the database holds the rules that must never break: one active entitlement per learner
and course, a payment reference used once, a balance never below zero.
"""

import hashlib
import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy
from model_utils.models import TimeStampedModel

from ..compat import UniqueConstraintMessages, check_constraint
from ..models import ContextKeyField, Credential, CredentialConfiguration
from .conf import exam_settings


def reference_key(reference: str) -> str:
    """The indexed form of a payment or points reference: its SHA-256.

    MySQL/MariaDB's case-insensitive collations would take "ord_A" and "ord_a" (or "x" and "x ") for
    one value in a unique index; their hashes differ on every database.
    """
    return hashlib.sha256(reference.encode()).hexdigest()


class CertificationSettings(UniqueConstraintMessages, TimeStampedModel):
    """
    How one course offers certification: availability, its question pool, prices and the credential issued.

    .. no_pii:
    """

    context_key = ContextKeyField(
        _("course"),
        max_length=255,
        unique=True,
        help_text=_("The course whose learners may certify (course-v1:...)."),
    )
    enabled = models.BooleanField(
        _("certification enabled"),
        default=False,
        help_text=_("Offer certification in this course (it also needs a credential and a large enough pool)."),
    )
    pool_context_key = ContextKeyField(
        _("pool course"),
        max_length=255,
        blank=True,
        null=True,
        help_text=_(
            "The course whose question pool the exam draws from: empty for the course's own pool; for a short "
            "child course, its parent course."
        ),
    )
    exam_size = models.PositiveSmallIntegerField(
        _("exam size"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("A child course's shorter exam (fewer questions than the standard size); empty: the standard."),
    )
    price_amount = models.DecimalField(
        _("price"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_("Price of certification in money; empty: not sold for money."),
    )
    price_currency = models.CharField(
        _("currency"),
        max_length=3,
        blank=True,
        validators=[RegexValidator(r"^[A-Z]{3}$", _("A three-letter ISO 4217 code in capitals, e.g. USD or EUR."))],
        help_text=_("Currency of the price, e.g. USD."),
    )
    price_points = models.PositiveIntegerField(
        _("price in points"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("Points a learner redeems for certification; empty: not redeemable with points."),
    )
    premium_includes_certification = models.BooleanField(
        _("premium includes certification"),
        default=False,
        help_text=_("Learners with premium access to this course are entitled without buying."),
    )
    configuration = models.ForeignKey(
        CredentialConfiguration,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("certificate configuration"),
        help_text=_(
            "The credential configuration of this course issued on a passed exam; give it the retrieval function "
            "'Certification exam passed', so that no other path issues it without an exam."
        ),
    )
    required_completion = models.PositiveSmallIntegerField(
        _("completion required to start the exam"),
        default=100,
        validators=[MaxValueValidator(100)],
        help_text=_("The course completion, in percent, a learner needs before starting the final exam."),
    )

    class Meta:
        verbose_name = _("certification settings")
        verbose_name_plural = _("certification settings")
        constraints = [
            check_constraint(
                condition=(Q(price_amount__isnull=True) & Q(price_currency=""))
                | (Q(price_amount__isnull=False) & ~Q(price_currency="")),
                name="lc_exams_price_has_currency",
            ),
        ]

    def __str__(self) -> str:
        return str(self.context_key)

    @property
    def pool_key(self):
        """The course whose pool the exam draws from."""
        return self.pool_context_key or self.context_key

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.context_key and not getattr(self.context_key, "is_course", False):
            errors["context_key"] = _("Certification is offered in courses (course-v1:...), not learning paths.")
        if self.pool_context_key is not None and not getattr(self.pool_context_key, "is_course", False):
            errors["pool_context_key"] = _("The pool belongs to a course (course-v1:...).")
        standard = exam_settings().exam_size
        if self.exam_size is not None:
            if self.pool_context_key is None or self.pool_context_key == self.context_key:
                errors["exam_size"] = _("Only a child course, which draws from its parent's pool, sets its own size.")
            elif self.exam_size >= standard:
                errors["exam_size"] = ngettext(
                    "A child course's exam is shorter than the standard %(size)d question.",
                    "A child course's exam is shorter than the standard %(size)d questions.",
                    standard,
                ) % {"size": standard}
        if (self.price_amount is None) != (not self.price_currency):
            errors["price_currency" if self.price_amount is not None else "price_amount"] = _(
                "Give the price and its currency together."
            )
        if self.configuration_id and self.context_key and self.configuration.learning_context_key != self.context_key:
            errors["configuration"] = _("Choose a configuration of this course.")
        if errors:
            raise ValidationError(errors)


class Question(TimeStampedModel):
    """
    A question of a course's certification pool; its options hold which answers are correct.

    Attempts keep a snapshot of the questions they drew, so editing a question changes no attempt.

    .. no_pii:
    """

    class Kind(models.TextChoices):
        SINGLE = "single", _("Single choice")
        MULTIPLE = "multiple", _("Multiple choice")
        TRUE_FALSE = "true_false", _("True or false")

    pool_context_key = ContextKeyField(
        _("pool course"), max_length=255, db_index=True, help_text=_("The course whose pool holds the question.")
    )
    external_id = models.CharField(
        _("external id"),
        max_length=255,
        help_text=_("The question's id in the pool's import files; an import updates the question with the same id."),
    )
    external_key = models.CharField(
        _("external key"),
        max_length=64,
        editable=False,
        help_text=_("SHA-256 of the external id: unique in the pool on every database's collation."),
    )
    lesson = models.CharField(_("lesson"), max_length=255, help_text=_("The lesson the question belongs to."))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, help_text=_("How it is answered."))
    text = models.TextField(_("question"), help_text=_("The question as learners read it."))
    active = models.BooleanField(_("active"), default=True, help_text=_("Inactive questions are never drawn."))

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        constraints = [
            models.UniqueConstraint(fields=["pool_context_key", "external_key"], name="lc_exams_one_question_per_id"),
        ]
        indexes = [models.Index(fields=["pool_context_key", "active"], name="lc_exams_pool_active")]

    def __str__(self) -> str:
        return f"{self.external_id}: {self.text[:60]}"

    def save(self, *args, **kwargs) -> None:
        self.external_key = reference_key(self.external_id)
        super().save(*args, **kwargs)


class QuestionOption(models.Model):
    """
    One answer option of a question, in the order authors wrote it.

    .. no_pii:
    """

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="options")
    position = models.PositiveSmallIntegerField(_("position"), help_text=_("Order among the question's options."))
    text = models.TextField(_("option"))
    correct = models.BooleanField(_("correct"), default=False, help_text=_("Whether choosing it is right."))

    class Meta:
        verbose_name = _("option")
        verbose_name_plural = _("options")
        ordering = ["question", "position"]
        constraints = [
            models.UniqueConstraint(fields=["question", "position"], name="lc_exams_one_option_per_position"),
        ]

    def __str__(self) -> str:
        return self.text[:60]


class Entitlement(models.Model):
    """
    A learner's right to take a course's certification exam: bought, redeemed with points, or included.

    .. pii: The learner (user link) and the host's payment reference.
    .. pii_types: id, other
    .. pii_retirement: local_api (services.retirement.learner_retire erases the references; their hashes stay)
    """

    class Source(models.TextChoices):
        PAID = "paid", pgettext_lazy("how an entitlement was obtained", "Paid")
        POINTS = "points", _("Redeemed with points")
        INCLUDED_IN_PREMIUM = "included_in_premium", _("Included in premium")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        help_text=_("The learner; empty once the account is deleted."),
    )
    context_key = ContextKeyField(_("course"), max_length=255, db_index=True, help_text=_("The course."))
    source = models.CharField(_("source"), max_length=32, choices=Source.choices, help_text=_("How it was granted."))
    amount = models.DecimalField(
        _("amount paid"), max_digits=10, decimal_places=2, null=True, blank=True, help_text=_("Paid: the amount.")
    )
    currency = models.CharField(_("currency"), max_length=3, blank=True, help_text=_("Paid: its currency."))
    points = models.PositiveIntegerField(_("points spent"), null=True, blank=True, help_text=_("Points: how many."))
    reference = models.CharField(
        _("reference"),
        max_length=255,
        blank=True,
        help_text=_("The host's payment reference (paid), or the points spend's reference."),
    )
    reference_key = models.CharField(
        _("reference key"),
        max_length=64,
        null=True,
        blank=True,
        unique=True,
        editable=False,
        help_text=_("SHA-256 of a payment reference: each payment grants one entitlement."),
    )
    # True while the entitlement counts, NULL once revoked: NULLs are distinct in unique indexes on
    # SQLite, PostgreSQL and MariaDB alike (a conditional unique constraint is ignored by MariaDB).
    active = models.BooleanField(_("active"), null=True, default=True, editable=False)
    created = models.DateTimeField(_("granted at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)
    revoked_reason = models.CharField(_("revoked because"), max_length=255, blank=True, editable=False)

    class Meta:
        verbose_name = _("certification entitlement")
        verbose_name_plural = _("certification entitlements")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "context_key", "active"],
                name="lc_exams_one_active_entitlement",
                violation_error_message=_("The learner is already entitled to certification in this course."),
            ),
            check_constraint(
                condition=(Q(active=True) & Q(revoked_at__isnull=True))
                | (Q(active__isnull=True) & Q(revoked_at__isnull=False)),
                name="lc_exams_active_matches_revocation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.context_key} ({self.get_source_display()})"


class PointsAccount(models.Model):
    """
    A learner's points balance; its entries explain every change.

    .. pii: The learner (user link).
    .. pii_types: id
    .. pii_retirement: local_api (services.retirement.learner_retire deletes the account and its entries)
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", help_text=_("The learner.")
    )
    balance = models.PositiveIntegerField(_("balance"), default=0, help_text=_("Points the learner holds."))

    class Meta:
        verbose_name = _("points account")
        verbose_name_plural = _("points accounts")
        constraints = [check_constraint(condition=Q(balance__gte=0), name="lc_exams_balance_not_negative")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.balance}"


class PointsEntry(models.Model):
    """
    One change of a points balance: a grant, a spend or a refund, once per reference and kind.

    .. pii: The learner (through the account) and staff's note.
    .. pii_types: id, other
    .. pii_retirement: local_api (deleted with the account)
    """

    class Kind(models.TextChoices):
        GRANT = "grant", _("Grant")
        SPEND = "spend", _("Spend")
        REFUND = "refund", _("Refund")

    account = models.ForeignKey(PointsAccount, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    # Signed: grants and refunds add, spends subtract.
    amount = models.IntegerField(_("points"), help_text=_("Points added (positive) or taken (negative)."))
    reference = models.CharField(_("reference"), max_length=255, blank=True)
    reference_key = models.CharField(_("reference key"), max_length=64, null=True, blank=True, editable=False)
    note = models.CharField(_("note"), max_length=255, blank=True, help_text=_("Why, for staff."))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Who granted them (staff), if anyone."),
    )
    created = models.DateTimeField(pgettext_lazy("when an entry was made", "at"), auto_now_add=True)

    class Meta:
        verbose_name = _("points entry")
        verbose_name_plural = _("points entries")
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "reference_key"], name="lc_exams_one_entry_per_reference"),
            check_constraint(
                condition=(Q(kind="spend") & Q(amount__lt=0)) | (~Q(kind="spend") & Q(amount__gt=0)),
                name="lc_exams_entry_sign_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount:+d}"


class CertificationEvent(models.Model):
    """
    One thing that happened to a learner's certification: an entitlement, points, an exam, the certificate.

    Written only by the exams' services, in the transactions they describe; append-only, except that
    retirement empties ``details``.

    .. pii: The learner (user link), the staff member who acted, and what ``details`` hold (references).
    .. pii_types: id, other
    .. pii_retirement: local_api (services.retirement.learner_retire empties the details)
    """

    class Kind(models.TextChoices):
        ENTITLEMENT_GRANTED = "entitlement_granted", _("Entitlement granted")
        ENTITLEMENT_REVOKED = "entitlement_revoked", _("Entitlement revoked")
        POINTS_GRANTED = "points_granted", _("Points granted")
        POINTS_SPENT = "points_spent", _("Points spent")
        POINTS_REFUNDED = "points_refunded", _("Points refunded")
        ATTEMPT_STARTED = "attempt_started", _("Exam started")
        ATTEMPT_DISCARDED = "attempt_discarded", _("Exam discarded")
        ATTEMPT_GRADED = "attempt_graded", _("Exam graded")
        CERTIFICATE_ISSUED = "certificate_issued", _("Certificate issued")
        CERTIFICATE_UPDATED = "certificate_updated", _("Certificate updated with a new score")
        CERTIFICATE_REVOKED = "certificate_revoked", _("Certificate revoked by the most recent exam")
        CERTIFICATE_PENDING = "certificate_pending", _("Certificate not issued yet (issuance refused)")

    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", help_text=_("The learner.")
    )
    context_key = ContextKeyField(_("course"), max_length=255, null=True, blank=True, db_index=True)
    source = models.CharField(_("source"), max_length=32, help_text=_("Where it came from: api, admin, command..."))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Staff who acted, if anyone."),
    )
    details = models.JSONField(_("details"), default=dict, blank=True)
    created = models.DateTimeField(pgettext_lazy("when an entry was made", "at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("certification event")
        verbose_name_plural = _("certification events")
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.context_key or '-'})"


class PaymentEvent(models.Model):
    """
    One payment notice of the host's commerce system (the payment webhook), recorded once per event id.

    Written only by exams.payments, in the transaction that grants the entitlement; the unique event
    key makes a replayed or racing duplicate delivery grant nothing. Refused deliveries are not recorded.

    .. pii: The learner (user link, and the username or user id in the payload) and the payment reference.
    .. pii_types: id, username, other
    .. pii_retirement: local_api (services.retirement.learner_retire empties the reference and the payload)
    """

    class Outcome(models.TextChoices):
        GRANTED = "granted", _("Entitlement granted")
        ALREADY_GRANTED = "already_granted", _("Already granted by this payment")
        ALREADY_ENTITLED = "already_entitled", _("Already entitled otherwise (this payment granted nothing)")

    event_id = models.CharField(
        _("event id"), max_length=255, help_text=_("The sender's id of the payment event; each one is processed once.")
    )
    event_key = models.CharField(
        _("event key"),
        max_length=64,
        unique=True,
        editable=False,
        help_text=_("SHA-256 of the event id; its unique index makes each event id processed once on every database."),
    )
    outcome = models.CharField(_("outcome"), max_length=32, choices=Outcome.choices, help_text=_("What it did."))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("learner"),
        help_text=_("The learner who paid."),
    )
    context_key = ContextKeyField(_("course"), max_length=255, db_index=True, help_text=_("The course paid for."))
    payment_reference = models.CharField(
        _("payment reference"), max_length=255, blank=True, help_text=_("The host's payment reference.")
    )
    amount = models.DecimalField(
        pgettext_lazy("money", "amount"), max_digits=21, decimal_places=6, help_text=_("The amount paid, as sent.")
    )
    currency = models.CharField(_("currency"), max_length=3, help_text=_("ISO 4217 code of the amount."))
    payload = models.JSONField(
        _("payload"),
        default=dict,
        blank=True,
        help_text=_("The fields of the body as received (amounts as strings); never headers or the signature."),
    )
    entitlement = models.ForeignKey(
        Entitlement,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        help_text=_("The entitlement the learner holds after it (granted by it, or held already)."),
    )
    created = models.DateTimeField(_("received at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("payment event")
        verbose_name_plural = _("payment events")
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"{self.event_id} ({self.get_outcome_display()})"


class Attempt(models.Model):
    """
    One final exam: the questions drawn for it (a snapshot), the learner's answers and the grade.

    The snapshot is the exam: editing or deactivating a pool's questions changes no attempt. At most
    one attempt per learner and course is in progress (``in_progress`` is True, else NULL: the NULL
    trick of the unique index works on SQLite, PostgreSQL and MariaDB alike).

    .. pii: The learner (user link) and their answers.
    .. pii_types: id, other
    .. pii_retirement: local_api (services.retirement.learner_retire empties the answers)
    """

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", pgettext_lazy("an exam attempt's status", "In progress")
        GRADED = "graded", _("Graded")
        DISCARDED = "discarded", _("Discarded")

    class DiscardReason(models.TextChoices):
        LEFT = "left", _("The learner left the exam")
        SUPERSEDED = "superseded", _("The learner started a new attempt")
        EXPIRED = "expired", _("Idle for longer than the idle timeout")
        RETIRED = "retired", _("The learner's account was retired")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", help_text=_("The learner.")
    )
    context_key = ContextKeyField(_("course"), max_length=255, help_text=_("The course certified."))
    pool_context_key = ContextKeyField(_("pool course"), max_length=255, help_text=_("The pool drawn from."))
    entitlement = models.ForeignKey(
        Entitlement,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        help_text=_("The entitlement the attempt was started under."),
    )
    size = models.PositiveSmallIntegerField(_("questions"), help_text=_("How many questions the exam holds."))
    pool_count = models.PositiveIntegerField(_("pool size at start"), help_text=_("Valid questions drawn from."))
    # [{id, question, external_id, lesson, kind, text, options: [{id, text, correct}]}] in the order shown;
    # ``id``s are random per attempt: payloads never carry bank ids.
    questions = models.JSONField(_("questions"), default=list, editable=False)
    # {question id: {options: [option ids], correct: bool, at: ISO time}}
    answers = models.JSONField(_("answers"), default=dict, editable=False)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.IN_PROGRESS)
    in_progress = models.BooleanField(null=True, default=True, editable=False)
    correct_count = models.PositiveSmallIntegerField(_("correct answers"), null=True, blank=True)
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True, help_text=_("Integer percent."))
    passed = models.BooleanField(_("passed"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"))
    last_activity_at = models.DateTimeField(_("last answer at"), help_text=_("The start or the last answer."))
    graded_at = models.DateTimeField(_("graded at"), null=True, blank=True)
    discarded_at = models.DateTimeField(_("discarded at"), null=True, blank=True)
    discard_reason = models.CharField(_("discarded because"), max_length=16, choices=DiscardReason.choices, blank=True)
    sitting_shown_at = models.DateTimeField(
        _("sitting shown at"),
        null=True,
        blank=True,
        editable=False,
        help_text=_(
            "When the learner's exam page first showed the attempt's questions; a page shows them once, never again."
        ),
    )

    class Meta:
        verbose_name = _("exam attempt")
        verbose_name_plural = _("exam attempts")
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "context_key", "in_progress"], name="lc_exams_one_sitting"),
            check_constraint(
                condition=(Q(status="in_progress") & Q(in_progress=True))
                | (~Q(status="in_progress") & Q(in_progress__isnull=True)),
                name="lc_exams_in_progress_matches_status",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "context_key", "started_at"], name="lc_exams_attempt_learner"),
            models.Index(fields=["status", "last_activity_at"], name="lc_exams_attempt_idle"),
        ]

    def __str__(self) -> str:
        return f"{self.context_key} ({self.get_status_display()})"


class Certification(models.Model):
    """
    A learner's certification in a course: one stable public link and code over the chain of certificates.

    Each pass issues or reissues a core credential (the printed score is the credential's); this row
    points at the chain's current credential and keeps the most recent graded score, so its public
    page always shows the current state (seed 004 §2.8, §5.3).

    .. pii: The learner (user link).
    .. pii_types: id
    .. pii_retirement: local_api (kept, as the credentials are: the row holds no name)
    """

    public_id = models.UUIDField(_("public id"), unique=True, default=uuid.uuid4, editable=False)
    code = models.CharField(_("verification code"), max_length=16, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", help_text=_("The learner.")
    )
    context_key = ContextKeyField(_("course"), max_length=255, help_text=_("The course certified."))
    credential = models.ForeignKey(
        Credential,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The chain's current certificate (valid, or revoked by the most recent exam)."),
    )
    score = models.PositiveSmallIntegerField(
        _("most recent score"), null=True, blank=True, help_text=_("Integer percent of the most recent graded exam.")
    )
    passed = models.BooleanField(_("most recent exam passed"), null=True, blank=True)
    scored_at = models.DateTimeField(_("graded at"), null=True, blank=True)
    last_attempt = models.ForeignKey(Attempt, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("certification")
        verbose_name_plural = _("certifications")
        constraints = [
            models.UniqueConstraint(fields=["user", "context_key"], name="lc_exams_one_certification"),
        ]

    def __str__(self) -> str:
        return f"{self.context_key}: {self.score if self.score is not None else '-'}"
