"""Admin forms. They collect and check input; the services they feed hold the rules."""

from django import forms
from django.contrib.admin.widgets import ForeignKeyRawIdWidget
from django.db import models
from django.forms.fields import JSONString
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .exceptions import InvalidContextKey
from .identifiers import parse_context_key
from .models import CredentialConfiguration, CredentialExport, CredentialType, InvalidationReason
from .problems import JSONProblem, json_parse
from .registry import generation_functions, retrieval_functions
from .selectors import invalidated_public_status, invalidation_reasons, user_get


class ReadableJSONField(forms.JSONField):
    """A JSON form field whose syntax errors say where and what (line, column), not just "Enter a valid JSON"."""

    def to_python(self, value):
        if self.disabled or value in self.empty_values or not isinstance(value, str):
            return super().to_python(value)
        try:
            converted = json_parse(value, cls=self.decoder)
        except JSONProblem as exc:
            raise forms.ValidationError(str(exc), code="invalid") from None
        return JSONString(converted) if isinstance(converted, str) else converted


class ModelChoiceField(forms.ModelChoiceField):
    """An id past SQLite's 64 bits is an unknown choice: Django 4.2 raises OverflowError there (a 500), 5.x not."""

    def to_python(self, value):
        try:
            return super().to_python(value)
        except OverflowError:
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice") from None


class RawIdWidget(ForeignKeyRawIdWidget):
    """The admin's raw id box, which names the object it holds; an id past SQLite's 64 bits names none (4.2)."""

    def label_and_url_for_value(self, value):
        try:
            return super().label_and_url_for_value(value)
        except OverflowError:
            return "", ""


# For a ModelAdmin's formfield_overrides: every JSON field of the model gets the readable form field, every
# foreign key a choice that refuses any id in words.
ADMIN_FORM_FIELDS = {
    models.JSONField: {"form_class": ReadableJSONField},
    models.ForeignKey: {"form_class": ModelChoiceField},
}


class CredentialTypeForm(forms.ModelForm):
    """Function keys picked from the registries instead of typed."""

    class Meta:
        model = CredentialType
        fields = ("name", "slug", "retrieval_func", "generation_func", "custom_options")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name, registry in (("retrieval_func", retrieval_functions), ("generation_func", generation_functions)):
            choices = registry.choices()
            current = self.initial.get(name)
            if current and current not in dict(choices):
                # Keep a key whose plugin is gone selectable, so the model's error explains it instead of
                # the select silently switching to another function.
                choices.append((current, gettext("%(key)s (not registered)") % {"key": current}))
            self.fields[name].widget = forms.Select(choices=[("", "---------"), *choices])


def public_wording(reason: str) -> str:
    """The sentence the verification page would give about a credential invalidated now for ``reason`` (HTML)."""
    status = invalidated_public_status(reason=reason, invalidated_at=timezone.now())
    return render_to_string("learning_credentials/public_status_sentence.html", {"s": status}).strip()


def _reason_choices() -> list[tuple[str, str]]:
    """Every reason but 'renewed' (only a renewal gives it), each with the public sentence it produces."""
    reasons = invalidation_reasons()
    reasons.pop(InvalidationReason.RENEWED, None)
    return [
        (
            key,
            format_html(
                '{} <span class="public-wording" data-public-wording>{}</span>',
                label,
                mark_safe(public_wording(key)),
            ),
        )
        for key, label in reasons.items()
    ]


class InvalidateForm(forms.Form):
    """Nothing chosen in advance: staff pick the reason, see what the public page will say, and confirm."""

    category = forms.ChoiceField(
        label=_("Reason"),
        choices=_reason_choices,
        widget=forms.RadioSelect,
        help_text=_("Shown publicly on the verification page, in the words beside each reason."),
        error_messages={"required": _("Choose the reason the verification page will give.")},
    )
    note = forms.CharField(
        label=_("Staff note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For staff only; never shown publicly."),
    )
    confirm = forms.BooleanField(
        label=_("I understand that invalidation is final"),
        help_text=_(
            "An invalidated credential can never be valid again. To give the learner a valid credential again, "
            "reissue it: the reissue is a new credential with a new verification code."
        ),
        error_messages={"required": _("Tick this box to confirm that the invalidation is final.")},
    )

    def chosen_wording(self) -> str:
        """The public sentence of the reason already chosen (a form shown again with errors), else ''."""
        chosen = self["category"].value()
        return mark_safe(public_wording(chosen)) if chosen in invalidation_reasons() else ""


class ReissueForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why the credential is reissued, e.g. the learner's name changed; kept in the audit trail."),
    )


class RenewForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Why the credential is renewed, e.g. the learner renewed their licence elsewhere; kept in the audit "
            "trail. The renewed credential is valid for the configuration's validity period from today; the old "
            "one says 'renewed' with a link to it."
        ),
    )


class SuspendForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Why the credential is held back, e.g. an inquiry into the exam; kept in the audit trail, never shown "
            "publicly (the public pages say only 'suspended since')."
        ),
    )


class ManualIssueForm(forms.Form):
    """A staff award: the learner gets the credential whether or not they meet its criteria."""

    configuration = forms.ModelChoiceField(
        label=_("Configuration"),
        queryset=CredentialConfiguration.objects.select_related("credential_type").order_by("learning_context_key"),
    )
    learner = forms.CharField(label=_("Learner (username)"), max_length=150)
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why the learner gets it without meeting the criteria; kept in the audit trail."),
    )

    def clean_learner(self):
        user = user_get(username=self.cleaned_data["learner"])
        if user is None:
            raise forms.ValidationError(_("There is no user with this username."))
        return user


class ExportForm(forms.Form):
    """A staff export: one configuration's credentials, or a whole context's (every configuration in it)."""

    configuration = forms.ModelChoiceField(
        label=_("Configuration"),
        required=False,
        queryset=CredentialConfiguration.objects.select_related("credential_type").order_by("learning_context_key"),
        help_text=_("Export this configuration's credentials; or leave it empty and give a context."),
    )
    context_key = forms.CharField(
        label=_("Learning context key"),
        required=False,
        max_length=255,
        help_text=_("course-v1:... or path-v1:...: every credential of every configuration in it."),
    )
    format = forms.ChoiceField(label=_("Format"), choices=CredentialExport.Format.choices)

    def clean_context_key(self):
        raw = self.cleaned_data["context_key"].strip()
        if not raw:
            return None
        try:
            return parse_context_key(raw)
        except InvalidContextKey as exc:
            raise forms.ValidationError(
                _("Enter a course key (course-v1:...) or a learning path key (path-v1:...).")
            ) from exc

    def clean(self):
        data = super().clean()
        if not self.errors and (data.get("configuration") is None) == (data.get("context_key") is None):
            raise forms.ValidationError(_("Choose a configuration or give a learning context key, not both."))
        return data
