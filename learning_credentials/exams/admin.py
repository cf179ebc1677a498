"""Admin of the exams sub-app: certification settings per course, question pools, and read-only entitlements."""

from django.contrib import admin, messages
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import CertificationSettings, Entitlement, Question, QuestionOption
from .selectors import POOL_TARGET_PER_LESSON, POOL_TARGET_QUESTIONS, certification_availability, pool_shortfalls


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
