"""Admin of the exams sub-app: certification settings per course, question pools, and read-only entitlements."""

from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..models import CredentialEvent
from ..selectors import user_get
from .models import CertificationSettings, Entitlement, PointsAccount, PointsEntry, Question, QuestionOption
from .selectors import POOL_TARGET_PER_LESSON, POOL_TARGET_QUESTIONS, certification_availability, pool_shortfalls
from .services import points_grant


@admin.register(CertificationSettings)
class CertificationSettingsAdmin(admin.ModelAdmin):
    list_display = ("context_key", "enabled", "pool_context_key", "exam_size", "price_amount", "price_currency")
    list_filter = ("enabled", "premium_includes_certification")
    search_fields = ("context_key",)
    raw_id_fields = ("configuration",)
    readonly_fields = ("availability",)
    fieldsets = (
        (None, {"fields": ("context_key", "enabled", "configuration", "availability")}),
        (_("Exam"), {"fields": ("pool_context_key", "exam_size")}),
        (_("Prices"), {"fields": ("price_amount", "price_currency", "price_points", "premium_includes_certification")}),
    )

    @admin.display(description=_("availability"))
    def availability(self, obj: CertificationSettings) -> str:
        if obj.pk is None:
            return "-"
        status = certification_availability(context_key=obj.context_key, certification=obj)
        pool = gettext("%(count)d valid questions in the pool; exams of %(size)d.") % {
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
                gettext("The pool holds %(total)d valid questions, short of the %(target)d-question target.")
                % {"total": total, "target": POOL_TARGET_QUESTIONS},
            )
        if short:
            lessons = ", ".join(f"{lesson} ({count})" for lesson, count in short)
            messages.warning(
                request,
                gettext("Lessons with fewer than %(per_lesson)d questions: %(lessons)s.")
                % {"per_lesson": POOL_TARGET_PER_LESSON, "lessons": lessons},
            )


class QuestionOptionInline(admin.TabularInline):
    model = QuestionOption
    extra = 0
    fields = ("position", "text", "correct")


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ("external_id", "pool_context_key", "lesson", "kind", "active")
    list_filter = ("kind", "active", "pool_context_key")
    search_fields = ("external_id", "text", "lesson")
    fields = ("pool_context_key", "external_id", "lesson", "kind", "text", "active")
    inlines = (QuestionOptionInline,)


@admin.register(Entitlement)
class EntitlementAdmin(admin.ModelAdmin):
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

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


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
    note = forms.CharField(label=_("Why"), max_length=255, help_text=_("Kept on the entry, e.g. 'Welcome gift'."))

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
                gettext("%(points)d points granted to %(username)s.")
                % {"points": entry.amount, "username": form.cleaned_data["username"]},
            )
            return redirect("admin:learning_credentials_exams_pointsaccount_change", entry.account_id)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Grant points"),
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/learning_credentials_exams/grant_points.html", context)
