"""Data and constraints. Workflows (issuing, invalidating) live in services/, not here."""

import contextlib
import hashlib
from uuid import uuid4

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from django_celery_beat.validators import crontab_validator
from model_utils.models import TimeStampedModel
from opaque_keys.edx.django.models import LearningContextKeyField

from .assets import AssetKind, asset_kind_phrase, validate_asset_file
from .compat import check_constraint
from .exceptions import ConfigurationError, InvalidContextKey, InvalidOptions
from .expiry import MAX_VALIDITY, ValidityUnit, reminder_days_parse
from .identifiers import parse_context_key
from .lifecycle import Status
from .problems import shown
from .registry import (
    asset_references,
    deep_merge,
    generation_functions,
    not_an_object,
    retrieval_functions,
    validate_options,
)


def validate_context_key(value) -> None:
    try:
        parse_context_key(str(value))
    except InvalidContextKey as exc:
        raise ValidationError(_("Enter a course key (course-v1:...) or a learning path key (path-v1:...).")) from exc


def validate_reminder_days(value: str) -> None:
    try:
        reminder_days_parse(value)
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc


def check_asset_references(funcs, options: dict) -> None:
    """Raise InvalidOptions for options naming an asset that does not exist or is of another kind."""
    references = asset_references(funcs, options)
    found = dict(
        CredentialAsset.objects.filter(slug__in={slug for slug, _kind in references.values()}).values_list(
            "slug", "kind"
        )
    )
    errors = {}
    for name, (slug, kind) in references.items():
        if slug not in found:
            errors[name] = [
                _("%(option)s: there is no asset with the slug '%(slug)s'; it should name %(kind)s.")
                % {"option": name, "slug": shown(slug), "kind": asset_kind_phrase(kind)}
            ]
        elif found[slug] != kind:
            errors[name] = [
                _("%(option)s: '%(slug)s' is %(actual)s, not %(expected)s.")
                % {
                    "option": name,
                    "slug": shown(slug),
                    "actual": asset_kind_phrase(found[slug]),
                    "expected": asset_kind_phrase(kind),
                }
            ]
    if errors:
        raise InvalidOptions(errors=errors)


class ContextKeyField(LearningContextKeyField):
    """A LearningContextKeyField whose form field rejects a malformed key with a message, not a 500.

    The opaque-keys field parses on assignment, so a bad key must be stopped in the form.
    """

    def formfield(self, **kwargs):
        field = super().formfield(**kwargs)
        field.validators.append(validate_context_key)
        return field


class CredentialType(TimeStampedModel):
    """
    What a credential is: who is eligible and how its artifact is made; reused across contexts.

    .. no_pii:
    """

    name = models.CharField(
        _("name"),
        max_length=255,
        unique=True,
        help_text=_("Name shown to learners, e.g. 'Certificate of Achievement'."),
    )
    slug = models.SlugField(
        _("slug"), max_length=64, unique=True, help_text=_("Stable key of this type, used in URLs (type_key).")
    )
    retrieval_func = models.CharField(
        _("retrieval function"),
        max_length=128,
        help_text=_(
            "Registry key of the function that decides who is eligible (a retrieve_* function without its prefix)."
        ),
    )
    generation_func = models.CharField(
        _("generation function"),
        max_length=128,
        help_text=_("Registry key of the function that makes the artifact (a generate_* function without its prefix)."),
    )
    custom_options = models.JSONField(
        _("default options"),
        default=dict,
        blank=True,
        help_text=_("Default options of both functions; configurations may override them."),
    )

    class Meta:
        verbose_name = _("credential type")
        verbose_name_plural = _("credential types")

    def __str__(self) -> str:
        return self.name

    def functions(self):
        """The registered (retrieval, generation) functions; raises UnknownFunction."""
        return retrieval_functions.get(self.retrieval_func), generation_functions.get(self.generation_func)

    def option_declarations(self) -> tuple:
        """Everything that declares options this type's dict may hold: its two functions and the share image."""
        from .rendering.share_image import share_image_options

        return (*self.functions(), share_image_options)

    def clean(self) -> None:
        errors = {}
        for field, registry in (("retrieval_func", retrieval_functions), ("generation_func", generation_functions)):
            try:
                registry.get(getattr(self, field))
            except ConfigurationError as exc:
                errors[field] = exc.message
        if errors:
            raise ValidationError(errors)
        try:
            validate_options(self.option_declarations(), self.custom_options, partial=True)
            check_asset_references(self.option_declarations(), self.custom_options)
        except InvalidOptions as exc:
            raise ValidationError({"custom_options": exc.sentences}) from exc

    def save(self, *args, **kwargs) -> None:
        """Refuse unknown function keys and invalid options on every save path, not only in forms."""
        self.clean()
        super().save(*args, **kwargs)


class ScheduleType(models.TextChoices):
    INTERVAL = "interval", _("Interval")
    CRONTAB = "crontab", _("Crontab")


INTERVAL_PERIODS = (IntervalSchedule.DAYS, IntervalSchedule.HOURS, IntervalSchedule.MINUTES, IntervalSchedule.SECONDS)
# The unit of "every" in the admin's choice, in the reader's language (the beat stores its English key).
INTERVAL_PERIOD_LABELS = {
    IntervalSchedule.DAYS: pgettext_lazy("a schedule's unit", "days"),
    IntervalSchedule.HOURS: pgettext_lazy("a schedule's unit", "hours"),
    IntervalSchedule.MINUTES: pgettext_lazy("a schedule's unit", "minutes"),
    IntervalSchedule.SECONDS: pgettext_lazy("a schedule's unit", "seconds"),
}


class CredentialConfiguration(TimeStampedModel):
    """
    Where a credential type applies: one learning context (course or learning path).

    .. pii: The staff member who confirmed that the context does not exist yet (a user link).
    .. pii_types: id
    .. pii_retirement: local_api (kept: a staff member's act, as in the audit trail; the account deletion empties it)
    """

    learning_context_key = ContextKeyField(
        _("learning context key"),
        max_length=255,
        help_text=_("Course key (course-v1:...) or learning path key (path-v1:...)."),
    )
    context_not_created_yet = models.BooleanField(
        _("The course does not exist yet"),
        default=False,
        help_text=_(
            "Tick to save a configuration for a course or learning path the platform does not know yet "
            "(a key planned for a course still to be created). Without it, an unknown key is refused."
        ),
    )
    context_not_created_yet_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("confirmed by"),
        help_text=_("Who ticked 'The course does not exist yet'."),
    )
    context_not_created_yet_at = models.DateTimeField(
        _("confirmed at"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("When 'The course does not exist yet' was ticked."),
    )
    credential_type = models.ForeignKey(
        CredentialType,
        on_delete=models.PROTECT,
        related_name="configurations",
        verbose_name=_("credential type"),
        help_text=_("The credential type awarded in this context."),
    )
    custom_options = models.JSONField(
        _("option overrides"),
        default=dict,
        blank=True,
        help_text=_("Options deep-merged over the credential type's defaults."),
    )
    enabled = models.BooleanField(
        _("enabled"),
        default=True,
        help_text=_("When off, no automatic path (schedule, events, on-demand) issues this credential."),
    )
    schedule_type = models.CharField(
        _("schedule type"),
        max_length=16,
        choices=ScheduleType.choices,
        default=ScheduleType.INTERVAL,
        help_text=_("Run at a fixed interval or on a crontab."),
    )
    interval_every = models.PositiveIntegerField(
        _("every"),
        default=1,
        validators=[MinValueValidator(1)],
        help_text=_("With an interval schedule: how many periods between runs."),
    )
    interval_period = models.CharField(
        _("period"),
        max_length=24,
        choices=[(period, INTERVAL_PERIOD_LABELS[period]) for period in INTERVAL_PERIODS],
        default=IntervalSchedule.HOURS,
        help_text=_("With an interval schedule: the unit of 'every'."),
    )
    crontab = models.CharField(
        _("crontab"),
        max_length=120,
        blank=True,
        default="0 3 * * *",
        help_text=_(
            "With a crontab schedule: 'minute hour day-of-month month day-of-week' in the server's time zone, e.g. '0 3 * * *'."
        ),
    )
    periodic_task = models.OneToOneField(
        PeriodicTask,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("periodic task"),
        help_text=_("The django-celery-beat row that runs this configuration; kept in sync on save."),
    )
    validity_period = models.IntegerField(  # its range depends on the unit: checked in clean()
        _("valid for"),
        null=True,
        blank=True,
        help_text=_(
            "How long a credential issued here stays valid, in the unit below; empty: it never expires. "
            "Each credential records its expiry when issued: changing this changes no credential already issued."
        ),
    )
    validity_unit = models.CharField(
        _("validity unit"),
        max_length=8,
        choices=ValidityUnit.choices,
        default=ValidityUnit.MONTHS,
        help_text=_("The unit of 'valid for'."),
    )
    reminder_days = models.CharField(
        _("expiry reminders"),
        max_length=64,
        blank=True,
        default="60, 7",
        validators=[validate_reminder_days],
        help_text=_(
            "Days before expiry on which the learner is reminded by email, separated by commas (e.g. 60, 7); "
            "empty: no reminders. The first reminder also opens renewal: from then on, meeting the criteria "
            "again renews the credential."
        ),
    )
    renewal_instructions = models.TextField(
        _("how to renew"),
        blank=True,
        help_text=_(
            "What the reminder tells learners to do to renew, e.g. 'Retake the final assessment.' "
            "Empty: meet the requirements of the course or path again."
        ),
    )
    renewal_requires_fresh_achievement = models.BooleanField(
        _("renewal needs a fresh achievement"),
        default=False,
        help_text=_(
            "Renew only for progress made after the previous credential was issued (a new completion or grade), "
            "so that an old completion cannot renew. Hosts that cannot date progress then renew only by "
            "staff or a passed certification exam."
        ),
    )

    class Meta:
        verbose_name = _("credential configuration")
        verbose_name_plural = _("credential configurations")
        constraints = [
            models.UniqueConstraint(
                fields=["learning_context_key", "credential_type"], name="lc_unique_configuration_per_context_type"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.credential_type} in {self.learning_context_key}"

    def options(self) -> dict:
        """The type's default options with this configuration's overrides merged over them."""
        return deep_merge(self.credential_type.custom_options or {}, self.custom_options or {})

    def reminder_offsets(self) -> tuple[int, ...]:
        """The reminder days, largest first (validated on save)."""
        return reminder_days_parse(self.reminder_days)

    def clean_options(self) -> None:
        """What the configuration itself must get right: validity, schedule and options."""
        # Stored as they apply ("60, 7"), however they were typed ("7; 60, 7"); the field's validator says what is wrong.
        with contextlib.suppress(ValueError):
            self.reminder_days = ", ".join(str(days) for days in reminder_days_parse(self.reminder_days))
        if self.validity_period is not None:
            most = MAX_VALIDITY[self.validity_unit]
            if not 1 <= self.validity_period <= most:
                raise ValidationError(
                    {
                        "validity_period": _(
                            "Enter a whole number of %(unit)s from 1 to %(most)s, or leave it empty for credentials "
                            "that never expire."
                        )
                        % {"unit": ValidityUnit(self.validity_unit).label, "most": most}
                    }
                )
        if self.schedule_type == ScheduleType.CRONTAB:
            fields = self.crontab.split()
            if len(fields) != 5:
                raise ValidationError(
                    {"crontab": _("A crontab has five fields: minute hour day-of-month month day-of-week.")}
                )
            try:
                crontab_validator(" ".join(fields))
            except ValidationError as exc:
                raise ValidationError(
                    {"crontab": _("Invalid crontab: %(error)s") % {"error": " ".join(exc.messages)}}
                ) from exc
        if not self.credential_type_id:
            return
        try:
            functions = self.credential_type.option_declarations()
            if problem := not_an_object(self.custom_options):  # before it is merged over the type's
                raise ValidationError({"custom_options": problem})
            validate_options(functions, self.options())
            check_asset_references(functions, self.options())
        except InvalidOptions as exc:
            raise ValidationError({"custom_options": exc.sentences}) from exc
        except ConfigurationError as exc:
            raise ValidationError({"credential_type": exc.message}) from exc

    def clean(self) -> None:
        """Forms also ask the host: the context must exist (unless staff say it does not yet), and offer what
        the options require. Saving in code (imports, the demo, services) skips these reads of the host."""
        self.clean_options()
        if self.learning_context_key is not None and self.credential_type_id:
            self.clean_against_host()

    def clean_against_host(self) -> None:
        from .configuration_checks import context_known, grade_categories_message, missing_grade_categories

        key = self.learning_context_key
        if not context_known(key):
            if not self.context_not_created_yet:
                raise ValidationError(
                    {
                        "learning_context_key": _(
                            "The platform has no course or learning path %(key)s. Check the key; to configure a "
                            "course that is still to be created, tick 'The course does not exist yet'."
                        )
                        % {"key": key}
                    }
                )
            return
        retrieve = self.credential_type.functions()[0]
        missing = missing_grade_categories(context_key=key, retrieve=retrieve, options=self.options())
        if missing:
            raise ValidationError({"custom_options": grade_categories_message(missing)})

    def save(self, *args, **kwargs) -> None:
        """Refuse invalid options on every save path, not only in forms."""
        self.clean_options()
        super().save(*args, **kwargs)


class LanguageTemplate(models.Model):
    """
    A configuration's PDF template for learners of one language; others get the configuration's own.

    .. no_pii:
    """

    configuration = models.ForeignKey(
        CredentialConfiguration,
        on_delete=models.CASCADE,
        related_name="language_templates",
        verbose_name=_("configuration"),
        help_text=_("The configuration whose credentials use this template in this language."),
    )
    language = models.CharField(
        _("language"),
        max_length=16,
        help_text=_(
            "One of the site's languages. A learner's language matches it exactly or by its base language "
            "(es-419 gets es); other learners get the configuration's own template."
        ),
    )
    template = models.SlugField(
        _("PDF template"),
        max_length=64,
        help_text=_("Slug of the PDF template asset for this language."),
    )
    custom_options = models.JSONField(
        _("option overrides"),
        default=dict,
        blank=True,
        help_text=_(
            "Options deep-merged over the configuration's for this language only, when its design needs them "
            "(e.g. another font or element positions)."
        ),
    )

    class Meta:
        verbose_name = _("PDF template per language")
        verbose_name_plural = _("PDF templates per language")
        constraints = [
            models.UniqueConstraint(fields=["configuration", "language"], name="lc_one_template_per_language"),
        ]

    def __str__(self) -> str:
        return f"{self.template} ({self.language})"

    def save(self, *args, **kwargs) -> None:
        """Refuse an unknown language, template or invalid options on every save path, not only in forms."""
        self.clean()
        super().save(*args, **kwargs)

    def options(self, base: dict | None = None) -> dict:
        """This language's template and overrides merged over ``base``: the configuration's options (or the unsaved
        ones of a preview)."""
        base = self.configuration.options() if base is None else base
        return deep_merge(base, {**(self.custom_options or {}), "template": self.template})

    def clean(self) -> None:
        from .languages import language_match

        if (
            self.language
            and language_match(self.language, [code for code, _name in settings.LANGUAGES]) != self.language
        ):
            raise ValidationError({"language": _("Choose one of the site's languages.")})
        if problem := not_an_object(self.custom_options):  # even before its configuration is saved
            raise ValidationError({"custom_options": problem})
        if not self.configuration_id:
            return
        try:
            functions = self.configuration.credential_type.option_declarations()
            validate_options(functions, self.options())
            check_asset_references(functions, self.options())
        except InvalidOptions as exc:
            if set(exc.errors) == {"template"}:
                raise ValidationError({"template": exc.errors["template"]}) from exc
            raise ValidationError({"custom_options": exc.message}) from exc
        except ConfigurationError as exc:
            raise ValidationError({"template": exc.message}) from exc


class InvalidationReason(models.TextChoices):
    """Built-in reason categories; operators add more in LEARNING_CREDENTIALS."""

    REFUNDED = "refunded", _("Refunded")
    ISSUED_IN_ERROR = "issued_in_error", _("Issued in error")
    SUPERSEDED = "superseded", _("Superseded by a newer credential")
    RETIRED = "retired", _("No longer available at the holder's request")
    RENEWED = "renewed", _("Renewed by a newer credential")
    OTHER = "other", _("Other")


# Reasons that mean a newer credential of the learner took this one's place (its credits move to it).
REPLACEMENT_REASONS = frozenset({InvalidationReason.SUPERSEDED, InvalidationReason.RENEWED})


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Public")
    PRIVATE = "private", _("Private")


def default_visibility() -> str:
    """New credentials take the site default (LEARNING_CREDENTIALS['DEFAULT_VISIBILITY'])."""
    from . import conf

    return conf.get("DEFAULT_VISIBILITY")


class Credential(TimeStampedModel):
    """
    One learner's credential in one configuration, with the facts it was issued on.

    .. pii: The learner's full name as it was at issue time (learner_name), the user link, the
        host's order reference and staff's note; the PDF and share images in storage print the name.
    .. pii_types: id, name
    .. pii_retirement: local_api (services.retirement.learner_retire: invalidated as retired, the name,
        order reference, note and files erased; the row stays, nameless, so that counts survive)
    """

    uuid = models.UUIDField(
        _("UUID"),
        primary_key=True,
        default=uuid4,
        editable=False,
        help_text=_("Internal identifier, used only in owner and staff URLs."),
    )
    verify_uuid = models.UUIDField(
        _("verification UUID"),
        unique=True,
        default=uuid4,
        editable=False,
        help_text=_("Public identifier in verification links."),
    )
    verification_code = models.CharField(
        _("verification code"),
        max_length=16,
        unique=True,
        editable=False,
        help_text=_("Short public code (Crockford base32) for verification by hand."),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="learning_credentials",
        verbose_name=_("learner"),
        help_text=_("The learner who holds the credential; empty once their account was deleted."),
    )
    configuration = models.ForeignKey(
        CredentialConfiguration,
        on_delete=models.PROTECT,
        related_name="credentials",
        verbose_name=_("configuration"),
        help_text=_("The configuration under which it was issued."),
    )
    learner_name = models.CharField(
        _("learner name"),
        max_length=255,
        help_text=_("The learner's full name at issue time; never changed afterwards."),
    )
    context_name = models.CharField(
        _("context name"),
        max_length=255,
        help_text=_("The course or learning path name at issue time; never changed afterwards."),
    )
    type_name = models.CharField(
        _("credential type name"),
        max_length=255,
        help_text=_("The credential type's name at issue time; never changed afterwards."),
    )
    score = models.DecimalField(
        _("score"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Score in percent, when the retrieval function produces one."),
    )
    status = models.CharField(
        _("status"),
        max_length=32,
        choices=Status.choices,
        default=Status.GENERATING,
        help_text=_("Lifecycle status; changed only through the services."),
    )
    # True while the credential counts as the learner's credential, NULL once invalidated:
    # NULLs are distinct in unique indexes on SQLite, PostgreSQL and MariaDB alike, so the
    # unique (user, configuration, active) constraint allows one live credential everywhere
    # (a conditional UniqueConstraint is ignored by MariaDB/MySQL).
    active = models.BooleanField(
        _("active"),
        null=True,
        default=True,
        editable=False,
        help_text=_("Set while not invalidated; backs the one-live-credential constraint."),
    )
    artifact = models.CharField(
        _("artifact"),
        max_length=512,
        blank=True,
        help_text=_("Storage name of the generated file; never exposed as a URL."),
    )
    artifact_sha256 = models.CharField(
        _("file's SHA-256"),
        max_length=64,
        blank=True,
        db_index=True,
        editable=False,
        help_text=_("Hex SHA-256 of the file as issued: a file someone holds is byte-identical to it or not."),
    )
    task_id = models.CharField(
        _("task id"), max_length=255, blank=True, help_text=_("Celery task id of the last generation run.")
    )
    error_message = models.TextField(_("error message"), blank=True, help_text=_("Why the last generation failed."))
    invalidated_at = models.DateTimeField(
        _("invalidated at"), null=True, blank=True, help_text=_("When the credential was invalidated.")
    )
    invalidation_reason = models.CharField(
        _("invalidation reason"),
        max_length=64,
        blank=True,
        help_text=_("Reason category shown publicly, e.g. refunded or issued_in_error."),
    )
    invalidation_note = models.TextField(
        _("staff note"), blank=True, help_text=_("Internal note of staff about the invalidation; never shown publicly.")
    )
    # Suspension is outside the lifecycle: a valid credential held back for a while (an inquiry),
    # then lifted or followed by an invalidation. Public surfaces say "suspended since".
    suspended_at = models.DateTimeField(
        _("suspended since"), null=True, blank=True, editable=False, help_text=_("Set while staff hold it suspended.")
    )
    suspension_reason = models.TextField(
        _("why suspended"), blank=True, editable=False, help_text=_("Staff's reason, for staff only.")
    )
    valid_from = models.DateTimeField(
        _("valid from"),
        null=True,
        blank=True,
        editable=False,
        help_text=_(
            "When the validity period that ends at 'expires at' began: its issue, or for a reissue of the same "
            "achievement (a corrected name), the issue of the credential it replaces. Reminders and renewal count "
            "from it."
        ),
    )
    expires_at = models.DateTimeField(
        _("expires at"),
        null=True,
        blank=True,
        editable=False,
        db_index=True,
        help_text=_(
            "When it stops being valid, set at issue from the configuration's validity; empty: never. "
            "Past it, public pages say 'expired'; staff extend it by renewing."
        ),
    )
    replaces = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replaced_by",
        verbose_name=_("replaces"),
        help_text=_("The credential this one supersedes (a reissue)."),
    )
    order_reference = models.CharField(
        _("order reference"),
        max_length=255,
        blank=True,
        db_index=True,
        help_text=_("The host's order or payment id this credential was issued under; used by refunds."),
    )
    language = models.CharField(
        _("language"),
        max_length=16,
        blank=True,
        editable=False,
        help_text=_(
            "The learner's language when it was issued (one of the site's languages): its PDF template, fixed text "
            "and dates. A reissue keeps it; empty for credentials issued before languages were recorded."
        ),
    )
    visibility = models.CharField(
        _("visibility"),
        max_length=16,
        choices=Visibility.choices,
        default=default_visibility,
        help_text=_(
            "Public: anyone with the link can verify it. Private: only the holder and staff; others get a 404."
        ),
    )
    verifications_counted = models.BooleanField(
        _("verifications counted"),
        default=True,
        help_text=_(
            "Whether verifications of this credential are counted (by channel and day, nothing about who "
            "verified); the holder switches it."
        ),
    )
    template_version = models.CharField(
        _("template version"),
        max_length=64,
        blank=True,
        editable=False,
        help_text=_("SHA-256 of the template the PDF was made from; the stored PDF never changes afterwards."),
    )
    attempts = models.PositiveSmallIntegerField(
        _("generation attempts"),
        default=0,
        editable=False,
        help_text=_(
            "How many times generation was tried; automatic retries stop at LEARNING_CREDENTIALS['MAX_ATTEMPTS']."
        ),
    )
    lease_expires_at = models.DateTimeField(
        _("generation lease expires at"),
        null=True,
        blank=True,
        editable=False,
        db_index=True,
        help_text=_(
            "While GENERATING: when the generation attempt gives up its claim. The running task renews it; "
            "the sweeper moves a credential whose lease expired to ERROR so that it is retried."
        ),
    )
    notified_at = models.DateTimeField(
        _("learner notified at"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("When the learner was emailed that the credential is available; set once."),
    )
    duplicate_attempts = models.PositiveIntegerField(
        _("duplicate attempts"),
        default=0,
        editable=False,
        help_text=_(
            "How many times a path (schedule, event, host notification, admin) tried to issue this credential again; "
            "the first attempt in each hour is also written to the audit trail."
        ),
    )
    last_duplicate_at = models.DateTimeField(
        _("last duplicate attempt"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("When a path last tried to issue this credential again."),
    )

    class Meta:
        verbose_name = _("credential")
        verbose_name_plural = _("credentials")
        ordering = ["-created"]
        permissions = [
            (
                "report_progress",
                _("Can report learners' progress (POST /api/learning_credentials/v1/progress/)"),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "configuration", "active"], name="lc_one_live_credential_per_user_configuration"
            ),
            check_constraint(
                condition=(
                    Q(status=Status.INVALIDATED, active__isnull=True)
                    | (~Q(status=Status.INVALIDATED) & Q(active__isnull=False, active=True))
                ),
                name="lc_active_matches_status",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type_name} for {self.learner_name} ({self.get_status_display().lower()})"


class CredentialAsset(TimeStampedModel):
    """
    A file credentials are made from: PDF template, image or TrueType font, addressed by slug.

    .. no_pii:
    """

    Kind = AssetKind

    slug = models.SlugField(
        _("slug"), max_length=64, unique=True, help_text=_("Key by which options refer to this asset.")
    )
    kind = models.CharField(
        _("kind"),
        max_length=32,
        choices=Kind.choices,
        help_text=_("What the file is; decides how the upload is validated."),
    )
    description = models.CharField(_("description"), max_length=255, blank=True, help_text=_("What the asset is for."))
    file = models.FileField(
        _("file"),
        upload_to="learning_credentials/assets/",
        help_text=_("PDF template (max 10 MB), image (PNG/JPEG) or TrueType font (.ttf)."),
    )
    content_hash = models.CharField(
        _("content hash"),
        max_length=64,
        blank=True,
        editable=False,
        help_text=_("SHA-256 of the file; identifies the template version."),
    )
    page_copy = models.FileField(
        _("page-sized copy"),
        upload_to="learning_credentials/assets/page/",
        blank=True,
        editable=False,
        help_text=_(
            "An image larger than the page needs, scaled down when saved (IMAGE_PAGE_PIXELS on its long side); "
            "credentials draw it instead of the original. Empty when the original is small enough."
        ),
    )
    width = models.PositiveIntegerField(
        _("width"), null=True, blank=True, editable=False, help_text=_("Width of an image, in pixels.")
    )
    height = models.PositiveIntegerField(
        _("height"), null=True, blank=True, editable=False, help_text=_("Height of an image, in pixels.")
    )

    class Meta:
        verbose_name = _("credential asset")
        verbose_name_plural = _("credential assets")

    def __str__(self) -> str:
        return self.slug

    def _new_file(self) -> bool:
        return bool(self.file) and not getattr(self.file, "_committed", True)

    def clean(self) -> None:
        if self._new_file():
            try:
                self._facts = validate_asset_file(kind=self.kind, file=self.file)
            except ValidationError as exc:
                raise ValidationError({"file": exc.messages}) from exc

    def save(self, *args, **kwargs) -> None:
        """Validate a new file on every save path; record its hash (the template version) and, for an image,
        its pixel size and page-sized copy, so that rendering never decodes more than the page needs."""
        facts = getattr(self, "_facts", None)
        if self._new_file() and (facts is None or facts.sha256 != self._file_sha256()):
            self.clean()  # not validated yet (a save without full_clean), or a file changed since
            facts = self._facts
        if self._new_file():
            self.content_hash = facts.sha256
            self.width, self.height = facts.width, facts.height
            self.page_copy = (
                ContentFile(facts.page_copy, name=f"{self.slug}-page.{facts.page_copy_extension}")
                if facts.page_copy
                else ""
            )
        elif self.file:
            self.content_hash = self._file_sha256()
        super().save(*args, **kwargs)

    def _file_sha256(self) -> str:
        self.file.seek(0)
        digest = hashlib.sha256(self.file.read()).hexdigest()
        self.file.seek(0)
        return digest


class CredentialEvent(models.Model):
    """
    Append-only audit trail: every status change and every act on a credential.

    The one exception: retiring a learner redacts the reasons and details of their credentials'
    events (grades, staff text, email errors), and records that it did (``personal_data_erased``).

    .. pii: Facts of the learner's progress (details) and free text (reason); the acting user link.
    .. pii_types: id, other
    .. pii_retirement: local_api (services.retirement.learner_retire redacts reason and details)
    """

    class Kind(models.TextChoices):
        ISSUED = "issued", pgettext_lazy("a credential event", "Issued")
        STATUS_CHANGED = "status_changed", _("Status changed")
        INVALIDATED = "invalidated", _("Invalidated")
        REISSUED = "reissued", _("Reissued")
        MANUAL_AWARD = "manual_award", _("Manual award")
        DUPLICATE_ATTEMPT = "duplicate_attempt", _("Duplicate attempt")
        VISIBILITY_CHANGED = "visibility_changed", _("Visibility changed")
        EMAIL_SENT = "email_sent", _("Email sent")
        EMAIL_FAILED = "email_failed", _("Email failed")
        PERSONAL_DATA_ERASED = "personal_data_erased", _("Personal data erased (learner retired)")
        IMPORTED = "imported", _("Imported (switch-over from another plugin)")
        SUSPENDED = "suspended", pgettext_lazy("a credential event", "Suspended")
        SUSPENSION_LIFTED = "suspension_lifted", _("Suspension lifted")
        RENEWED = "renewed", pgettext_lazy("a credential event", "Renewed")
        EXPIRY_REMINDED = "expiry_reminded", _("Expiry reminder sent")
        COUNTING_CHANGED = "counting_changed", _("Verification counting switched")

    class Source(models.TextChoices):
        SCHEDULE = "schedule", _("Schedule")
        EVENT = "event", _("Platform event")
        ADMIN = "admin", _("Admin")
        API = "api", _("API")
        COMMAND = "command", _("Management command")
        WEBHOOK = "webhook", _("Webhook")
        LEARNER = "learner", _("Learner")
        SYSTEM = "system", _("System")
        EXAM = "exam", _("Final exam")

    credential = models.ForeignKey(
        Credential,
        on_delete=models.PROTECT,
        related_name="events",
        verbose_name=_("credential"),
        help_text=_("The credential the event is about."),
    )
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices, help_text=_("What happened."))
    from_status = models.CharField(
        _("from status"), max_length=32, blank=True, help_text=_("Status before a transition.")
    )
    to_status = models.CharField(_("to status"), max_length=32, blank=True, help_text=_("Status after a transition."))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
        help_text=_("The user who acted; empty when the system did."),
    )
    source = models.CharField(
        _("source"), max_length=32, choices=Source.choices, help_text=_("Which path caused the event.")
    )
    reason = models.TextField(_("reason"), blank=True, help_text=_("Why, in words."))
    details = models.JSONField(
        _("details"),
        default=dict,
        blank=True,
        help_text=_("Facts at that moment, e.g. the grades that justified an issue."),
    )
    created = models.DateTimeField(_("created"), auto_now_add=True, db_index=True, help_text=_("When it happened."))

    class Meta:
        verbose_name = _("credential event")
        verbose_name_plural = _("credential events")
        ordering = ["created", "id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.from_status}->{self.to_status}".strip()

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValidationError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("Audit events are append-only.")


class CredentialRun(models.Model):
    """
    One run of a configuration (schedule, command or admin): what it found and did, and how long it took.

    Chunks may finish on different workers; each adds its counts and the last one closes the run.

    .. pii: The staff member who started the run (a user link).
    .. pii_types: id
    .. pii_retirement: local_api (kept: a staff member's act, as in the audit trail; the account deletion empties it)
    """

    configuration = models.ForeignKey(
        CredentialConfiguration,
        on_delete=models.CASCADE,
        related_name="runs",
        verbose_name=_("configuration"),
        help_text=_("The configuration that ran."),
    )
    source = models.CharField(
        _("source"), max_length=32, choices=CredentialEvent.Source.choices, help_text=_("What started the run.")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by"),
        help_text=_("The staff member who started the run; empty for the schedule and the system."),
    )
    started_at = models.DateTimeField(
        _("started at"), auto_now_add=True, db_index=True, help_text=_("When the run started.")
    )
    finished_at = models.DateTimeField(
        _("finished at"), null=True, blank=True, help_text=_("When its last chunk finished.")
    )
    eligible = models.PositiveIntegerField(
        _("eligible"), default=0, help_text=_("Learners eligible at the start of the run.")
    )
    already_held = models.PositiveIntegerField(
        _("already held"), default=0, help_text=_("Eligible learners skipped because they hold (or held) a credential.")
    )
    issued = models.PositiveIntegerField(_("issued"), default=0, help_text=_("Credentials this run made AVAILABLE."))
    renewed = models.PositiveIntegerField(
        _("renewed"),
        default=0,
        help_text=_("Of the eligible learners who held a credential, how many had it renewed (it was due)."),
    )
    failed = models.PositiveIntegerField(
        _("failed"), default=0, help_text=_("Learners whose credential ended in ERROR or could not be issued.")
    )
    retried = models.PositiveIntegerField(
        _("retried"), default=0, help_text=_("Credentials in ERROR sent back to generation.")
    )
    chunks_total = models.PositiveIntegerField(
        _("chunks"), default=0, help_text=_("How many chunks the run was split into.")
    )
    chunks_done = models.PositiveIntegerField(
        _("chunks done"), default=0, help_text=_("How many chunks have finished.")
    )
    error = models.TextField(_("error"), blank=True, help_text=_("Why the run could not proceed, if it could not."))

    class Meta:
        verbose_name = _("credential run")
        verbose_name_plural = _("credential runs")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.configuration} at {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def duration(self):
        return self.finished_at - self.started_at if self.finished_at else None


class RefundEvent(models.Model):
    """
    One refund notice of the host's commerce system (the refund webhook), recorded once per event_id.

    Written only by services.refunds, in the transaction that applies it: the unique event_id makes a
    replayed or racing duplicate delivery change nothing.

    .. pii: The learner the refund names (user link, and the username or user id in the payload) and the
        host's order reference.
    .. pii_types: id, username
    .. pii_retirement: local_api (services.retirement.learner_retire empties the payload and order reference)
    """

    class Outcome(models.TextChoices):
        REVOKED = "revoked", pgettext_lazy("what a refund did", "Revoked")
        PARTIAL = "partial", _("Partial refund (nothing changed)")
        IGNORED = "ignored", _("Ignored (no credential matched)")

    event_id = models.CharField(
        _("event id"),
        max_length=255,
        db_index=True,
        help_text=_("The sender's id of the refund event; each one is processed once."),
    )
    # The unique index is on a hash: MySQL/MariaDB collations would otherwise take "evt_A" and "evt_a"
    # (or "x" and "x ") for the same id.
    event_key = models.CharField(
        _("event key"),
        max_length=64,
        unique=True,
        editable=False,
        help_text=_("SHA-256 of the event id; its unique index makes each event id processed once on every database."),
    )
    outcome = models.CharField(
        _("outcome"),
        max_length=16,
        choices=Outcome.choices,
        help_text=_("What the refund did: revoked credentials, nothing (partial refund) or nothing (no match)."),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("learner"),
        help_text=_("The learner the refund names; empty when no such user exists."),
    )
    context_key = models.CharField(
        _("learning context key"), max_length=255, help_text=_("The course or learning path the refund is for.")
    )
    order_reference = models.CharField(
        _("order reference"),
        max_length=255,
        blank=True,
        db_index=True,
        help_text=_("The host's order or payment id the refund is for; empty when the sender gave none."),
    )
    amount = models.DecimalField(
        pgettext_lazy("money", "amount"),
        max_digits=21,
        decimal_places=6,
        help_text=_("The amount of the order, as sent."),
    )
    amount_refunded = models.DecimalField(
        _("amount refunded"),
        max_digits=21,
        decimal_places=6,
        help_text=_("The amount refunded so far; a full refund (at least the amount) revokes."),
    )
    currency = models.CharField(_("currency"), max_length=3, help_text=_("ISO 4217 code of both amounts."))
    payload = models.JSONField(
        _("payload"),
        default=dict,
        blank=True,
        help_text=_("The fields of the body as received (amounts as strings); never headers or the signature."),
    )
    credentials = models.ManyToManyField(
        Credential,
        blank=True,
        related_name="refund_events",
        verbose_name=_("revoked credentials"),
        help_text=_("The credentials this refund invalidated."),
    )
    received_at = models.DateTimeField(
        _("received at"), auto_now_add=True, db_index=True, help_text=_("When the delivery was processed.")
    )

    class Meta:
        verbose_name = _("refund event")
        verbose_name_plural = _("refund events")
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.event_id} ({self.outcome})"


class ExpiryReminder(models.Model):
    """One reminder email about a credential's expiry, at one offset: the unique row makes it go once.

    A run claims it before sending (``claimed_at``, ``attempts``) and records ``sent_at`` after.

    .. no_pii:
    """

    credential = models.ForeignKey(
        Credential,
        on_delete=models.CASCADE,
        related_name="expiry_reminders",
        verbose_name=_("credential"),
        help_text=_("The credential whose expiry the learner was reminded of."),
    )
    days_before = models.PositiveSmallIntegerField(
        _("days before expiry"), help_text=_("The configuration's reminder offset this reminder answered.")
    )
    claimed_at = models.DateTimeField(
        _("claimed at"), help_text=_("When a run last took it to send (another run leaves it alone for a while).")
    )
    attempts = models.PositiveSmallIntegerField(
        _("attempts"), default=0, help_text=_("Runs that tried to send it; a failing one is given up after three.")
    )
    sent_at = models.DateTimeField(
        _("sent at"), null=True, blank=True, help_text=_("When the mailer took it; empty while not sent.")
    )

    class Meta:
        verbose_name = _("expiry reminder")
        verbose_name_plural = _("expiry reminders")
        constraints = [
            models.UniqueConstraint(fields=["credential", "days_before"], name="lc_one_reminder_per_offset"),
        ]

    def __str__(self) -> str:
        return f"{self.days_before} days before expiry"


class CredentialExport(models.Model):
    """
    One bulk export of a configuration's or a context's credentials (a CSV, or a ZIP of their PDFs).

    Written by services.exports only: the file is made by a worker, served to staff with the export
    permission until ``expires_at``, then deleted. Retiring a learner deletes the file of every export
    that may hold their data and marks the row withdrawn.

    .. no_pii: The row holds no learner data (the staff user who asked is a link to an account); the
        file does (names, usernames, emails, PDFs) and is deleted on expiry and on a learner's retirement.
    """

    class Format(models.TextChoices):
        CSV = "csv", _("CSV")
        ZIP = "zip", _("ZIP of PDFs")

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        READY = "ready", _("Ready")
        FAILED = "failed", pgettext_lazy("an export's state", "Failed")
        EXPIRED = "expired", _("Expired (file deleted)")
        WITHDRAWN = "withdrawn", _("Withdrawn (it held a retired learner's data)")

    id = models.UUIDField(
        _("id"),
        primary_key=True,
        default=uuid4,
        editable=False,
        help_text=_("Identifier in the download link; not guessable."),
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
        help_text=_("The staff member who started the export."),
    )
    configuration = models.ForeignKey(
        CredentialConfiguration,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="exports",
        verbose_name=_("configuration"),
        help_text=_("The configuration whose credentials are exported; empty for a whole context."),
    )
    # A plain string: an opaque-key field cannot say "none" in a check constraint (__isnull is refused).
    context_key = models.CharField(
        _("learning context key"),
        max_length=255,
        blank=True,
        validators=[validate_context_key],
        help_text=_(
            "The course or learning path whose credentials (of every configuration) are exported; "
            "empty for one configuration."
        ),
    )
    format = models.CharField(
        _("format"), max_length=8, choices=Format.choices, help_text=_("A CSV of the credentials or a ZIP of PDFs.")
    )
    include_email = models.BooleanField(
        _("with email addresses"),
        default=True,
        help_text=_("Whether the CSV has the learners' email addresses (platform staff only)."),
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=State.choices,
        default=State.QUEUED,
        help_text=_("Where the export stands; changed only by the services."),
    )
    total = models.PositiveIntegerField(_("total"), default=0, help_text=_("Credentials to export."))
    done = models.PositiveIntegerField(_("done"), default=0, help_text=_("Credentials exported so far."))
    missing_files = models.PositiveIntegerField(
        _("missing files"),
        default=0,
        help_text=_("PDFs the storage did not have, left out of a ZIP (the log names them)."),
    )
    file = models.CharField(
        _("file"),
        max_length=512,
        blank=True,
        help_text=_("Storage name of the export's file; never exposed as a URL."),
    )
    error = models.TextField(_("error"), blank=True, help_text=_("Why the export failed, if it did."))
    created = models.DateTimeField(
        _("created"), auto_now_add=True, db_index=True, help_text=_("When it was asked for.")
    )
    finished_at = models.DateTimeField(
        _("finished at"), null=True, blank=True, help_text=_("When its file was ready, or it failed.")
    )
    expires_at = models.DateTimeField(
        _("expires at"),
        null=True,
        blank=True,
        db_index=True,
        help_text=_("When the download link stops working and the file is deleted."),
    )

    class Meta:
        verbose_name = _("credential export")
        verbose_name_plural = _("credential exports")
        ordering = ["-created"]
        permissions = [
            ("export_credentials", _("Can export credentials (CSV, ZIP of PDFs) and download the exports")),
        ]
        constraints = [
            check_constraint(
                condition=Q(configuration__isnull=False) | ~Q(context_key=""),
                name="lc_export_has_a_scope",
            ),
        ]

    def __str__(self) -> str:
        scope = self.configuration if self.configuration_id else self.context_key
        return f"{self.get_format_display()} of {scope}"


class VerificationChannel(models.TextChoices):
    """Where a verification came through (docs/verification.rst, "What is counted and what is never stored")."""

    PAGE = "page", _("Verification page")
    API = "api", _("Metadata API")
    CODE = "code", _("Code lookup")
    QR = "qr", _("QR code link")
    PDF = "pdf", _("Public PDF")
    OPEN_BADGES = "open_badges", _("Signed Open Badges credential")
    FILE_CHECK = "file_check", pgettext_lazy("a verification channel", "Check a file")


class VerificationCount(models.Model):
    """
    How many times a credential was verified through one channel on one day (UTC).

    Nothing about who verified is stored, here or anywhere on the way (no address, user agent or
    referrer, not even hashed): a count is incremented in the cache and moved here in bulk.

    .. no_pii:
    """

    credential = models.ForeignKey(
        Credential,
        on_delete=models.CASCADE,
        related_name="verification_counts",
        verbose_name=_("credential"),
        help_text=_("The credential verified."),
    )
    channel = models.CharField(
        _("channel"),
        max_length=16,
        choices=VerificationChannel.choices,
        help_text=_("Where the verification came through."),
    )
    day = models.DateField(_("day"), help_text=_("The day (UTC) of the verifications."))
    count = models.PositiveIntegerField(_("count"), default=0, help_text=_("Verifications that day."))

    class Meta:
        verbose_name = _("verification count")
        verbose_name_plural = _("verification counts")
        constraints = [
            models.UniqueConstraint(fields=["credential", "channel", "day"], name="lc_one_count_per_channel_day"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.day}: {self.count}"


class VerificationCountFlush(models.Model):
    """
    A counting bucket already moved from the cache to VerificationCount: a flush never adds it twice.

    .. no_pii:
    """

    bucket = models.CharField(
        pgettext_lazy("a period of verification counts", "bucket"),
        max_length=32,
        unique=True,
        help_text=_("The bucket's start (seconds since 1970, UTC) and length, as its cache keys name it."),
    )
    flushed_at = models.DateTimeField(
        _("flushed at"), auto_now_add=True, db_index=True, help_text=_("When its counts were added.")
    )

    class Meta:
        verbose_name = _("verification count flush")
        verbose_name_plural = _("verification count flushes")

    def __str__(self) -> str:
        return self.bucket
