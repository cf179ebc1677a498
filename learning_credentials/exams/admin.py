"""Admin of the exams sub-app: certification settings per course, question pools (with their JSON import and
export), and read-only entitlements, exam attempts and certifications."""

import re
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import URLPattern, path, reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext, ngettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from ..admin import form_page
from ..forms import ADMIN_FORM_FIELDS, RawIdWidget
from ..identifiers import format_code
from ..models import CredentialEvent
from ..selectors import user_get
from .exceptions import PoolImportRefused
from .models import (
    Attempt,
    Certification,
    CertificationSettings,
    Entitlement,
    PointsAccount,
    PointsEntry,
    Question,
    QuestionOption,
)
from .pools import (
    MAX_FILE_BYTES,
    pool_key_parse,
    question_pool_dumps,
    question_pool_export,
    question_pool_import,
    question_pool_parse,
)
from .selectors import POOL_TARGET_PER_LESSON, POOL_TARGET_QUESTIONS, certification_availability, pool_shortfalls
from .services import points_grant

SOURCE = CredentialEvent.Source.ADMIN


@admin.register(CertificationSettings)
class CertificationSettingsAdmin(admin.ModelAdmin):
    formfield_overrides = ADMIN_FORM_FIELDS  # a configuration id past 64 bits is refused in words on Django 4.2
    list_display = ("context_key", "enabled", "pool_context_key", "exam_size", "price_amount", "price_currency")
    list_filter = ("enabled", "premium_includes_certification")
    search_fields = ("context_key",)
    raw_id_fields = ("configuration",)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in self.raw_id_fields:  # its box names the configuration; any id typed is answered in words
            kwargs["widget"] = RawIdWidget(db_field.remote_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    readonly_fields = ("availability",)
    fieldsets = (
        (None, {"fields": ("context_key", "enabled", "configuration", "availability")}),
        (_("Exam"), {"fields": ("pool_context_key", "exam_size", "required_completion")}),
        (_("Prices"), {"fields": ("price_amount", "price_currency", "price_points", "premium_includes_certification")}),
    )

    @admin.display(description=_("availability"))
    def availability(self, obj: CertificationSettings) -> str:
        if obj.pk is None:
            return "-"
        status = certification_availability(context_key=obj.context_key, certification=obj)
        pool = ngettext(
            "%(count)d valid question in the pool; exam size: %(size)d.",
            "%(count)d valid questions in the pool; exam size: %(size)d.",
            status.pool_count,
        ) % {
            "count": status.pool_count,
            "size": status.exam_size,
        }
        return f"{gettext('Available.') if status.available else status.problem} {pool}"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        certification = self.get_object(request, object_id)
        if certification is not None and request.method == "GET":
            self._warn_about_pool(request, certification)
        return super().change_view(request, object_id, form_url, extra_context)

    @staticmethod
    def _warn_about_pool(request, certification: CertificationSettings) -> None:
        """Seed 004 §2.3: a pool aims at 150 questions, at least 5 per lesson; below it still works, with a warning."""
        total, short = pool_shortfalls(pool_context_key=certification.pool_key)
        if total < POOL_TARGET_QUESTIONS:
            messages.warning(
                request,
                ngettext(
                    "The pool holds %(total)d valid question; the target is %(target)d.",
                    "The pool holds %(total)d valid questions; the target is %(target)d.",
                    total,
                )
                % {"total": total, "target": POOL_TARGET_QUESTIONS},
            )
        if short:
            lessons = ", ".join(f"{lesson} ({count})" for lesson, count in short)
            messages.warning(
                request,
                ngettext(
                    "Lessons with fewer than %(per_lesson)d question: %(lessons)s.",
                    "Lessons with fewer than %(per_lesson)d questions: %(lessons)s.",
                    POOL_TARGET_PER_LESSON,
                )
                % {"per_lesson": POOL_TARGET_PER_LESSON, "lessons": lessons},
            )


class QuestionOptionInline(admin.TabularInline):
    model = QuestionOption
    extra = 0
    fields = ("position", "text", "correct")


class PoolExportForm(forms.Form):
    pool_context_key = forms.CharField(
        label=_("Pool course"),
        max_length=255,
        help_text=_("The course whose pool this is, e.g. course-v1:Org+Course+Run."),
    )

    def clean_pool_context_key(self):
        try:
            return pool_key_parse(self.cleaned_data["pool_context_key"])
        except PoolImportRefused as exc:
            raise ValidationError(exc.errors) from None


class PoolImportForm(PoolExportForm):
    file = forms.FileField(
        label=_("Pool file"),
        help_text=format_lazy(_("A JSON file in the question pool format, at most {mb} MB."), mb=MAX_FILE_BYTES >> 20),
    )
    dry_run = forms.BooleanField(
        label=_("Only check the file"),
        required=False,
        help_text=_("Say what the import would change, and write nothing."),
    )

    def clean_file(self):
        """The parsed document; reads one byte past the limit at most, whatever the upload's size."""
        try:
            return question_pool_parse(self.cleaned_data["file"].read(MAX_FILE_BYTES + 1))
        except PoolImportRefused as exc:
            raise ValidationError(exc.errors) from None


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ("external_id", "pool_context_key", "lesson", "kind", "active")
    list_filter = ("kind", "active", "pool_context_key")
    search_fields = ("external_id", "text", "lesson")
    fields = ("pool_context_key", "external_id", "lesson", "kind", "text", "active")
    inlines = (QuestionOptionInline,)
    change_list_template = "learning_credentials_exams/admin/question_change_list.html"

    def get_urls(self) -> list[URLPattern]:
        return [
            path("import/", self.admin_site.admin_view(self.import_pool_view), name=self._url_name("import_pool")),
            path("export/", self.admin_site.admin_view(self.export_pool_view), name=self._url_name("export_pool")),
            *super().get_urls(),
        ]

    def _url_name(self, view: str) -> str:
        return f"{self.opts.app_label}_{self.opts.model_name}_{view}"

    def _may_import(self, request: HttpRequest) -> bool:
        return self.has_add_permission(request) and self.has_change_permission(request)

    def _page(self, request: HttpRequest, template: str, form, title: str, submit_label: str) -> HttpResponse:
        template = f"learning_credentials_exams/admin/{template}"
        return form_page(self, request, template, form=form, title=title, submit_label=submit_label)

    def changelist_view(self, request: HttpRequest, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_import_pool": self._may_import(request),
            "export_pool": request.GET.get("pool_context_key__exact", ""),
        }
        return super().changelist_view(request, extra_context)

    def import_pool_view(self, request: HttpRequest) -> HttpResponse:
        """Every error of the file is shown on the form and nothing is imported; the service decides."""
        if not self._may_import(request):
            raise PermissionDenied
        form = PoolImportForm(request.POST, request.FILES) if request.method == "POST" else PoolImportForm()
        if form.is_bound and form.is_valid():
            key = form.cleaned_data["pool_context_key"]
            try:
                report = question_pool_import(
                    pool_context_key=key,
                    data=form.cleaned_data["file"],
                    source=SOURCE,
                    dry_run=form.cleaned_data["dry_run"],
                )
            except PoolImportRefused as exc:
                form.add_error("file", exc.errors)
            else:
                self.message_user(request, report.summary(), messages.SUCCESS)
                if report.dry_run:
                    return HttpResponseRedirect(reverse(f"admin:{self._url_name('import_pool')}"))
                changelist = reverse(f"admin:{self._url_name('changelist')}")
                return HttpResponseRedirect(f"{changelist}?{urlencode({'pool_context_key__exact': str(key)})}")
        return self._page(request, "import_pool.html", form, gettext("Import a question pool"), gettext("Import"))

    def export_pool_view(self, request: HttpRequest) -> HttpResponse:
        """The pool as a JSON download; a link from the filtered list passes the course in the query string."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        data = request.POST if request.method == "POST" else request.GET if "pool_context_key" in request.GET else None
        form = PoolExportForm(data)
        if form.is_bound and form.is_valid():
            key = form.cleaned_data["pool_context_key"]
            response = HttpResponse(
                question_pool_dumps(question_pool_export(pool_context_key=key)),
                content_type="application/json; charset=utf-8",
            )
            name = re.sub(r"[^A-Za-z0-9._-]+", "_", str(key))
            response["Content-Disposition"] = f'attachment; filename="question-pool-{name}.json"'
            return response
        return self._page(request, "export_pool.html", form, gettext("Export a question pool"), gettext("Download"))


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows only the exams' services write, in the transactions that decide them; staff read them here."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Entitlement)
class EntitlementAdmin(ReadOnlyAdmin):
    """Granted and revoked by the exams' services only; staff read them here."""

    list_display = ("created", "user", "context_key", "source", "amount", "currency", "points", "revoked_at")
    list_select_related = ("user",)
    list_filter = ("source", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("user__username", "context_key", "reference")
    fields = (
        "user",
        "context_key",
        "source",
        "amount",
        "currency",
        "points",
        "reference",
        "created",
        "revoked_at",
        "revoked_reason",
    )
    readonly_fields = fields


@admin.register(Attempt)
class AttemptAdmin(ReadOnlyAdmin):
    """Final exams: who, when, how they ended. The questions drawn and the answers stay out of sight."""

    list_display = ("started_at", "user", "context_key", "status", "discard_reason", "score", "passed")
    list_select_related = ("user",)
    list_filter = ("status", "passed", "discard_reason")
    search_fields = ("user__username", "context_key", "=id")
    fields = (
        "id",
        "user",
        "context_key",
        "pool_context_key",
        "size",
        "pool_count",
        "status",
        "started_at",
        "last_activity_at",
        "graded_at",
        "correct_count",
        "score",
        "passed",
        "discarded_at",
        "discard_reason",
    )
    readonly_fields = fields


@admin.register(Certification)
class CertificationAdmin(ReadOnlyAdmin):
    """Each learner's certification in a course: its stable code and page, the most recent score, the certificate."""

    list_display = ("user", "context_key", "score", "passed", "scored_at", "verification_code")
    list_select_related = ("user",)
    list_filter = ("passed",)
    search_fields = ("user__username", "context_key", "=code")
    fields = (
        "user",
        "context_key",
        "public_id",
        "verification_code",
        "score",
        "passed",
        "scored_at",
        "credential",
        "created",
    )
    readonly_fields = fields

    @admin.display(description=_("verification code"), ordering="code")
    def verification_code(self, obj: Certification) -> str:
        """Grouped as the public page and every admin message print codes (ABCDE-FGHJK)."""
        return format_code(obj.code)


class PointsEntryInline(admin.TabularInline):
    model = PointsEntry
    extra = 0
    fields = ("created", "kind", "amount", "reference", "note", "actor")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class GrantPointsForm(forms.Form):
    username = forms.CharField(label=_("Learner's username"), max_length=150)
    points = forms.IntegerField(label=_("Points to grant"), min_value=1, max_value=1_000_000)
    note = forms.CharField(
        label=pgettext_lazy("a form field: the reason", "Why"),
        max_length=255,
        help_text=_("Kept on the entry, e.g. 'Welcome gift'."),
    )

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        self.learner = user_get(username=username)
        if self.learner is None:
            raise forms.ValidationError(_("There is no user with this username."))
        return username


@admin.register(PointsAccount)
class PointsAccountAdmin(admin.ModelAdmin):
    """Balances change only through entries: staff grant points here (the "Add" page); spends come from redemptions."""

    list_display = ("user", "balance")
    list_select_related = ("user",)
    search_fields = ("user__username",)
    fields = ("user", "balance")
    readonly_fields = fields
    inlines = (PointsEntryInline,)

    def has_change_permission(self, request, obj=None) -> bool:
        return request.method in ("GET", "HEAD") and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def add_view(self, request, form_url="", extra_context=None):
        """ "Add" grants points: the account is made on the first grant."""
        form = GrantPointsForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            entry = points_grant(
                user_id=form.learner.pk,
                amount=form.cleaned_data["points"],
                note=form.cleaned_data["note"],
                actor_id=request.user.pk,
                activity_source=CredentialEvent.Source.ADMIN,
            )
            messages.success(
                request,
                ngettext(
                    "%(points)d point granted to %(username)s.",
                    "%(points)d points granted to %(username)s.",
                    entry.amount,
                )
                % {"points": entry.amount, "username": form.cleaned_data["username"]},
            )
            return redirect("admin:learning_credentials_exams_pointsaccount_change", entry.account_id)
        return form_page(
            self,
            request,
            "learning_credentials_exams/admin/grant_points.html",
            form=form,
            title=gettext("Grant points"),
            submit_label=gettext("Grant points"),
        )
