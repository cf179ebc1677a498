"""Admin of the credits sub-app: credit types, the read-only ledger (with "Void"), and credits on configurations."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from .. import admin as core_admin  # noqa: F401 - registers the core ModelAdmins the inlines below extend
from ..exceptions import LearningCredentialsError
from ..models import Credential, CredentialConfiguration
from .models import ConfigurationCredit, CreditLedgerEntry, CreditType
from .services import credit_entry_void


@admin.register(CreditType)
class CreditTypeAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "unit", "active")
    list_filter = ("active",)
    search_fields = ("code", "name")
    fields = ("code", "name", "unit", "unit_plural", "description", "active")


class VoidForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why the credits are voided; kept on the entry."),
    )


@admin.register(CreditLedgerEntry)
class CreditLedgerEntryAdmin(admin.ModelAdmin):
    """Written by services only; staff read it and void entries, never add, edit or delete one."""

    list_display = ("awarded_at", "user", "context_key", "credit_type", "amount", "activity_id", "voided_at")
    list_select_related = ("user", "credit_type")
    list_filter = ("credit_type", ("voided_at", admin.EmptyFieldListFilter))
    search_fields = ("user__username", "context_key", "activity_id")
    date_hierarchy = "awarded_at"
    actions = ("void",)
    fields = (
        "user",
        "context_key",
        "credit_type",
        "amount",
        "activity_id",
        "awarded_at",
        "credential",
        "metadata",
        "voided_at",
        "void_reason",
        "voided_by",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_void_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(f"{self.opts.app_label}.void_creditledgerentry")

    @admin.action(description=_("Void selected credit entries"), permissions=["void"])
    def void(self, request: HttpRequest, queryset: QuerySet[CreditLedgerEntry]) -> HttpResponse | None:
        form = VoidForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            voided, refused = 0, []
            for entry in queryset:
                try:
                    credit_entry_void(entry=entry, reason=form.cleaned_data["reason"], actor_id=request.user.pk)
                except LearningCredentialsError as exc:
                    refused.append(f"{entry}: {exc.message}")
                else:
                    voided += 1
            if voided:
                message = ngettext("%(count)d entry voided.", "%(count)d entries voided.", voided) % {"count": voided}
                self.message_user(request, message, messages.SUCCESS)
            if refused:
                self.message_user(request, "; ".join(refused), messages.WARNING)
            return None
        return TemplateResponse(
            request,
            "learning_credentials_credits/admin/void_entries.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "form": form,
                "media": self.media + form.media,
                "title": gettext("Void credit entries"),
                "submit_label": gettext("Void"),
                "selection": list(queryset.select_related("credit_type")),
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            },
        )


class ConfigurationCreditInline(admin.TabularInline):
    """The credits a configuration's credential carries; the model validates each line."""

    model = ConfigurationCredit
    fields = ("credit_type", "amount", "activity_id")
    extra = 0
    verbose_name_plural = _("continuing-education credits")


class CreditEntryInline(admin.TabularInline):
    """The credits a credential carries (and those voided with it), read-only."""

    model = CreditLedgerEntry
    fk_name = "credential"
    fields = ("credit_type", "amount", "activity_id", "awarded_at", "voided_at", "void_reason")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = _("continuing-education credits")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[CreditLedgerEntry]:
        return super().get_queryset(request).select_related("credit_type")


def _add_inline(model, inline) -> None:
    """Extend the core admin of ``model`` (registered by learning_credentials.admin) with ``inline``, once."""
    model_admin = admin.site._registry.get(model)
    if model_admin is not None and inline not in model_admin.inlines:
        model_admin.inlines = (*model_admin.inlines, inline)


_add_inline(CredentialConfiguration, ConfigurationCreditInline)
_add_inline(Credential, CreditEntryInline)
